// Client quotas as KRaft keeps them (ClientQuotaControlManager / ClientQuotasImage): values per
// entity — user, client-id, user + client-id, or ip, each name null for the default — stored as
// `clientQuota` records in the metadata log and replayed into every image. Kafka's validation of
// AlterClientQuotas and matching of DescribeClientQuotas filters live here; the controller
// appends, brokers answer DescribeClientQuotas from their image and enforce the user / client-id
// quotas from it (src/server/quota/).
import net from 'node:net';

export const USER = 'user';
export const CLIENT_ID = 'client-id';
export const IP = 'ip';

/** One component of a quota entity; a null name is the default entity of that type. */
export interface QuotaEntityPart {
  entityType: string;
  entityName: string | null;
}

/** The quota values of one entity (parts sorted by type). */
export interface StoredQuotas {
  entity: QuotaEntityPart[];
  values: Record<string, number>;
}

/** Quota keys by the entity types they apply to, and whether they are whole numbers (Kafka's QuotaConfigs). */
const KEYS: Record<string, { types: string[]; integer: boolean }> = {
  producer_byte_rate: { types: [USER, CLIENT_ID], integer: true },
  consumer_byte_rate: { types: [USER, CLIENT_ID], integer: true },
  request_percentage: { types: [USER, CLIENT_ID], integer: false },
  controller_mutation_rate: { types: [USER, CLIENT_ID], integer: false },
  connection_creation_rate: { types: [IP], integer: true },
};

/** The canonical form of an entity (parts sorted by type) and its map key. */
export function canonicalEntity(parts: readonly QuotaEntityPart[]): { entity: QuotaEntityPart[]; key: string } {
  const entity = [...parts].sort((a, b) => (a.entityType < b.entityType ? -1 : a.entityType > b.entityType ? 1 : 0)).map((p) => ({ entityType: p.entityType, entityName: p.entityName }));
  return { entity, key: JSON.stringify(entity.map((p) => [p.entityType, p.entityName])) };
}

/** Kafka's checks of an entity: known types, each once, ip alone, a valid ip address. Null when valid, else the message (INVALID_REQUEST). */
export function invalidEntity(parts: readonly QuotaEntityPart[]): string | null {
  if (parts.length === 0) return 'Invalid empty client quota entity';
  const seen = new Set<string>();
  for (const p of parts) {
    if (p.entityType !== USER && p.entityType !== CLIENT_ID && p.entityType !== IP) return `Unhandled client quota entity type: ${p.entityType}`;
    if (seen.has(p.entityType)) return `Duplicate ${p.entityType} entity type in client quota entity`;
    seen.add(p.entityType);
    if (p.entityName !== null && p.entityName.length === 0) return `Empty ${p.entityType} name in client quota entity`;
  }
  if (seen.has(IP)) {
    if (seen.size > 1) return 'Invalid quota entity combination, IP entity should not be used with user/client ID entity.';
    const ip = parts[0]!.entityName;
    if (ip !== null && net.isIP(ip) === 0) return `${ip} is not a valid IP or resolvable host.`;
  }
  return null;
}

/** Kafka's checks of one quota operation for an entity. Null when valid, else the message (INVALID_REQUEST). */
export function invalidQuotaOp(parts: readonly QuotaEntityPart[], key: string, value: number, remove: boolean): string | null {
  const spec = KEYS[key];
  const isIp = parts.some((p) => p.entityType === IP);
  if (!spec || !spec.types.includes(isIp ? IP : USER)) return `Invalid configuration key ${key}`;
  if (remove) return null;
  if (!Number.isFinite(value)) return `Invalid value ${value} for configuration key ${key}`;
  if (spec.integer && !Number.isInteger(value)) return `Configuration ${key} must be a Long value`;
  return null;
}

/** The values of an entity after applying ops (remove deletes the key). */
export function applyOps(current: Record<string, number>, ops: readonly { key: string; value: number; remove: boolean }[]): Record<string, number> {
  const next = { ...current };
  for (const op of ops) {
    if (op.remove) delete next[op.key];
    else next[op.key] = op.value;
  }
  return next;
}

export const MATCH_EXACT = 0;
export const MATCH_DEFAULT = 1;
export const MATCH_SPECIFIED = 2;

export interface QuotaFilterComponent {
  entityType: string;
  matchType: number;
  match: string | null;
}

/** Kafka's checks of a DescribeClientQuotas filter. Null when valid, else the message (INVALID_REQUEST). */
export function invalidFilter(components: readonly QuotaFilterComponent[]): string | null {
  const seen = new Set<string>();
  for (const c of components) {
    if (c.entityType !== USER && c.entityType !== CLIENT_ID && c.entityType !== IP) return `Invalid entity type ${c.entityType}`;
    if (seen.has(c.entityType)) return `Entity type ${c.entityType} cannot appear more than once in the filter.`;
    seen.add(c.entityType);
    if (c.matchType !== MATCH_EXACT && c.matchType !== MATCH_DEFAULT && c.matchType !== MATCH_SPECIFIED) return `Unknown match type ${c.matchType}`;
  }
  if (seen.has(IP) && (seen.has(USER) || seen.has(CLIENT_ID))) return 'Invalid entity filter component combination, IP filter component should not be used with user or clientId filter component.';
  return null;
}

/** The stored quotas matching a filter: every component matches a part of the entity; strict: the entity has no other parts. */
export function matchQuotas(all: Iterable<StoredQuotas>, components: readonly QuotaFilterComponent[], strict: boolean): StoredQuotas[] {
  const out: StoredQuotas[] = [];
  for (const q of all) {
    if (Object.keys(q.values).length === 0) continue;
    if (strict && q.entity.length !== components.length) continue;
    const ok = components.every((c) => {
      const part = q.entity.find((p) => p.entityType === c.entityType);
      if (!part) return false;
      if (c.matchType === MATCH_EXACT) return part.entityName === c.match;
      if (c.matchType === MATCH_DEFAULT) return part.entityName === null;
      return part.entityName !== null;
    });
    if (ok) out.push(q);
  }
  return out;
}

// Kafka's StandardAuthorizer over the ACLs of the metadata image: super users may do anything;
// otherwise the ACLs whose pattern covers the resource (literal name, literal "*", or a prefix)
// decide: a matching DENY wins, then a matching ALLOW; ACLs on the resource that match neither
// deny; with no ACL on the resource at all, `allow.everyone.if.no.acl.found` decides. An ACL
// matches the principal itself or `User:*`, the client's host or `*`, and its operation, ALL,
// or (ALLOW only) one implying it: READ/WRITE/DELETE/ALTER imply DESCRIBE, ALTER_CONFIGS implies
// DESCRIBE_CONFIGS. Disabled (no authorizer.class.name) everything is allowed.
import { AclOperation, AclPermissionType, PatternType, WILDCARD, WILDCARD_PRINCIPAL, type AclEntry } from './Acl.js';

const IMPLIES_DESCRIBE: ReadonlySet<number> = new Set([AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER]);
const IMPLIES_DESCRIBE_CONFIGS: ReadonlySet<number> = new Set([AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS]);

/** Operations reported as authorized per resource type (Kafka's supportedOperations), in bit order. */
export const SUPPORTED_OPERATIONS: Readonly<Record<number, readonly number[]>> = {
  2: [AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS],
  3: [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS],
  4: [AclOperation.CREATE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE, AclOperation.ALTER, AclOperation.DESCRIBE],
  5: [AclOperation.DESCRIBE, AclOperation.WRITE],
  6: [AclOperation.DESCRIBE],
  7: [AclOperation.CREATE_TOKENS, AclOperation.DESCRIBE_TOKENS],
};

export interface AuthorizerSettings {
  /** False when authorizer.class.name is empty: every request is allowed. */
  enabled: boolean;
  /** Principals from super.users (semicolon separated, as Kafka reads it). */
  superUsers: ReadonlySet<string>;
  allowEveryoneIfNoAclFound: boolean;
}

/** super.users as Kafka parses it: `User:a;User:b`, blanks dropped. */
export function parseSuperUsers(value: string): Set<string> {
  return new Set(value.split(';').map((s) => s.trim()).filter((s) => s.length > 0));
}

export class Authorizer {
  /** `acls()` reads the current ACLs each time (the broker's published image). */
  constructor(
    readonly settings: AuthorizerSettings,
    private readonly acls: () => Iterable<AclEntry>,
  ) {}

  get enabled(): boolean {
    return this.settings.enabled;
  }

  isSuperUser(principal: string): boolean {
    return this.settings.superUsers.has(principal);
  }

  /** May `principal` connecting from `host` perform `op` on the resource (type, literal name)? */
  authorize(principal: string, host: string, op: number, resourceType: number, name: string): boolean {
    if (!this.settings.enabled || this.isSuperUser(principal)) return true;
    let onResource = false;
    let allowed = false;
    for (const acl of this.acls()) {
      if (acl.resourceType !== resourceType || !patternCovers(acl, name)) continue;
      onResource = true;
      const result = aclResult(acl, principal, host, op);
      if (result === 'deny') return false;
      if (result === 'allow') allowed = true;
    }
    return allowed || (!onResource && this.settings.allowEveryoneIfNoAclFound);
  }

  /**
   * Kafka's authorizeByResourceType (KIP-679): may the principal perform `op` on some resource of
   * this type? True when an ALLOW ACL grants it on a pattern no DENY covers (a DENY on literal
   * "*", on the same literal name, or on a prefix of it), or with no ACL of this type at all
   * when allow.everyone.if.no.acl.found.
   */
  authorizeByResourceType(principal: string, host: string, op: number, resourceType: number): boolean {
    if (!this.settings.enabled || this.isSuperUser(principal)) return true;
    const denies: AclEntry[] = [];
    const allows: AclEntry[] = [];
    let any = false;
    for (const acl of this.acls()) {
      if (acl.resourceType !== resourceType) continue;
      any = true;
      const result = aclResult(acl, principal, host, op);
      if (result === 'deny') denies.push(acl);
      else if (result === 'allow') allows.push(acl);
    }
    if (!any) return this.settings.allowEveryoneIfNoAclFound;
    return allows.some(
      (a) =>
        !denies.some(
          (d) =>
            (d.patternType === PatternType.LITERAL && (d.resourceName === WILDCARD || (a.patternType === PatternType.LITERAL && d.resourceName === a.resourceName))) ||
            (d.patternType === PatternType.PREFIXED && a.resourceName.startsWith(d.resourceName)),
        ),
    );
  }

  /** The authorized-operations bit set of a resource (Metadata, DescribeGroups, DescribeCluster). */
  authorizedOperations(principal: string, host: string, resourceType: number, name: string): number {
    let bits = 0;
    for (const op of SUPPORTED_OPERATIONS[resourceType] ?? []) {
      if (this.authorize(principal, host, op, resourceType, name)) bits |= 1 << op;
    }
    return bits;
  }
}

function patternCovers(acl: AclEntry, name: string): boolean {
  if (acl.patternType === PatternType.LITERAL) return acl.resourceName === name || acl.resourceName === WILDCARD;
  if (acl.patternType === PatternType.PREFIXED) return name.startsWith(acl.resourceName);
  return false;
}

/** StandardAuthorizerData.findResult: what one ACL says about (principal, host, op), or null. */
function aclResult(acl: AclEntry, principal: string, host: string, op: number): 'allow' | 'deny' | null {
  if (acl.principal !== principal && acl.principal !== WILDCARD_PRINCIPAL) return null;
  if (acl.host !== WILDCARD && acl.host !== host) return null;
  if (acl.operation !== AclOperation.ALL) {
    if (acl.permissionType === AclPermissionType.ALLOW) {
      if (op === AclOperation.DESCRIBE) {
        if (!IMPLIES_DESCRIBE.has(acl.operation)) return null;
      } else if (op === AclOperation.DESCRIBE_CONFIGS) {
        if (!IMPLIES_DESCRIBE_CONFIGS.has(acl.operation)) return null;
      } else if (op !== acl.operation) {
        return null;
      }
    } else if (op !== acl.operation) {
      return null;
    }
  }
  return acl.permissionType === AclPermissionType.ALLOW ? 'allow' : 'deny';
}

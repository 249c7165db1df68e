// Fault injection on the wire, shared by every broker of a cluster: a rule matches requests
// by API name (and optionally broker, topic, partition, client id) and then drops the
// response, delays it, answers with an error code, or cuts the connection. Because faults
// act on requests and responses, they bite the same way for every client.
import type { Logger } from '../logger.js';

export type FaultAction = 'drop-response' | 'delay-response' | 'error' | 'disconnect';

export interface FaultRule {
  /** API name as Kafka spells it, e.g. 'Produce', 'Fetch', 'Metadata'. */
  api: string;
  broker?: number;
  topic?: string;
  partition?: number;
  clientId?: string;
  /** How many matching requests it applies to (default 1); Infinity for all. */
  times?: number;
  /**
   * drop-response: apply the request, never answer, close the connection;
   * delay-response: apply it and answer after `ms`;
   * error: answer with `code` without applying it (after `ms` when given);
   * disconnect: close the connection without applying it.
   */
  action: FaultAction;
  ms?: number;
  code?: number;
}

export interface ActiveFault {
  id: number;
  rule: FaultRule;
}

/** The topics and partitions a request touches (for rules that name one). */
export type RequestTargets = { topic: string; partitions: number[] }[];

interface Entry {
  id: number;
  rule: FaultRule;
  remaining: number;
}

export class FaultInjector {
  private nextId = 1;
  private entries: Entry[] = [];

  constructor(private readonly log: Logger) {}

  add(rule: FaultRule): number {
    if ((rule.action === 'delay-response' || rule.ms !== undefined) && !(typeof rule.ms === 'number' && rule.ms >= 0)) {
      throw new Error('a delay-response fault needs ms >= 0');
    }
    if (rule.action === 'error' && typeof rule.code !== 'number') throw new Error('an error fault needs a Kafka error code');
    const id = this.nextId++;
    this.entries.push({ id, rule: { ...rule }, remaining: rule.times ?? 1 });
    return id;
  }

  remove(id: number): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.id !== id);
    return this.entries.length !== before;
  }

  clear(): void {
    this.entries = [];
  }

  list(): ActiveFault[] {
    return this.entries.map((e) => ({ id: e.id, rule: e.rule }));
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** The first rule matching this request, consumed by one use; null when none. */
  match(api: string, broker: number, clientId: string | null, targets: () => RequestTargets): ActiveFault | null {
    for (const e of this.entries) {
      const r = e.rule;
      if (r.api !== api) continue;
      if (r.broker !== undefined && r.broker !== broker) continue;
      if (r.clientId !== undefined && r.clientId !== clientId) continue;
      if (r.topic !== undefined || r.partition !== undefined) {
        const hit = targets().some(
          (t) => (r.topic === undefined || t.topic === r.topic) && (r.partition === undefined || t.partitions.includes(r.partition)),
        );
        if (!hit) continue;
      }
      e.remaining--;
      if (e.remaining <= 0) this.entries = this.entries.filter((x) => x !== e);
      const where = [r.topic, r.partition].filter((x) => x !== undefined).join('-');
      this.log.info(
        `fault #${e.id} ${r.action}${r.action === 'delay-response' ? ` ${r.ms}ms` : ''}${r.action === 'error' ? ` code ${r.code}` : ''} on ${api}` +
          ` to broker ${broker}${where ? ` (${where})` : ''} from client ${clientId ?? '-'}`,
      );
      return { id: e.id, rule: r };
    }
    return null;
  }
}

/** Topics and partitions named by a decoded request, whatever the API's field names. */
export function requestTargets(req: unknown): RequestTargets {
  const r = req as { topicData?: unknown[]; topics?: unknown[] | null };
  const topics = (r.topicData ?? r.topics ?? []) as Record<string, unknown>[];
  return topics.map((t) => {
    const parts = (t.partitionData ?? t.partitions ?? t.partitionIndexes ?? []) as unknown[];
    return {
      topic: String(t.name ?? t.topic ?? ''),
      partitions: parts.map((p) =>
        typeof p === 'number' ? p : Number((p as Record<string, unknown>).index ?? (p as Record<string, unknown>).partition ?? (p as Record<string, unknown>).partitionIndex),
      ),
    };
  });
}

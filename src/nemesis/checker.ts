// The history checker. Broker violations: an acknowledged record lost, a record stored twice,
// a producer's records stored out of send order, a record stored at another offset than the
// one acknowledged, in-sync replicas differing on disk below the high watermark, a replica not
// back in the ISR long after every fault was healed, a record the group consumed that the
// final log does not hold, a group's committed offset going backwards, a commit that skips
// records the group never consumed.
//
// Client-side anomalies are told apart by evidence, not by client: a send the client resolved
// without any answer for the record's partition (not-sent); an acknowledgement that points at
// offsets holding the same producer's earlier records, or carries no offset at all
// (sequence-reuse: the client reused a sequence and the broker, as Kafka does, answered it as a
// duplicate of the batch it had written); a record stored twice under two different (producer id, epoch, sequence) — the
// client sent it again as new records, which no broker can tell from new data (resent). The
// same record stored twice under one producer id and sequence is the broker's fault. Client
// anomalies are counted apart from broker violations, except for our own producer, which must
// show none of them. At acks=1 lost records (and, with idempotence impossible there,
// records stored twice by a retry) are Kafka's documented behaviour: counted, not failed.
import { parsePayload, type History, type SendOutcome } from './history.js';

export type ViolationKind =
  | 'lost'
  | 'duplicated'
  | 'reordered'
  | 'offset-mismatch'
  | 'phantom'
  | 'replica-divergence'
  | 'not-healed'
  | 'consumed-divergent'
  | 'commit-backwards'
  | 'commit-skip'
  | 'own-client-anomaly';

export interface Violation {
  kind: ViolationKind;
  partition?: number;
  detail: string;
}

export interface ClientAnomaly {
  kind: 'not-sent' | 'sequence-reuse' | 'resent';
  client: string;
  seq: number;
  partition: number;
}

export interface CheckStats {
  sent: number;
  acked: number;
  failed: number;
  pending: number;
  stored: number;
  /** Acknowledged records missing at acks=1 (Kafka's documented loss window). */
  lostAtAcks1: number;
  /** Records stored twice at acks=1, where the producer cannot be idempotent. */
  duplicatedAtAcks1: number;
  commits: number;
  consumed: number;
}

export interface CheckResult {
  violations: Violation[];
  clientAnomalies: ClientAnomaly[];
  stats: CheckStats;
}

/** Counts by kind, for tables and tests. */
export function countByKind<T extends { kind: string }>(items: readonly T[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i.kind] = (out[i.kind] ?? 0) + 1;
  return out;
}

export function checkHistory(h: History): CheckResult {
  const violations: Violation[] = [];
  const anomalies: ClientAnomaly[] = [];
  const sendByValue = new Map<string, SendOutcome>();
  for (const s of h.sends) sendByValue.set(s.value, s);

  // Where each payload is stored; duplicates and phantoms.
  const storedAt = new Map<string, { partition: number; offset: number; writer: string | null }[]>();
  const valueAt = new Map<number, Map<number, string | null>>();
  let storedCount = 0;
  let duplicatedAtAcks1 = 0;
  for (const [partition, records] of h.stored) {
    const byOffset = new Map<number, string | null>();
    valueAt.set(partition, byOffset);
    const lastSeq = new Map<string, number>();
    for (const r of records) {
      storedCount++;
      byOffset.set(r.offset, r.value);
      const id = parsePayload(r.value);
      if (r.value === null || id === null || !sendByValue.has(r.value)) {
        violations.push({ kind: 'phantom', partition, detail: `offset ${r.offset} holds ${JSON.stringify(r.value)}, which no client sent` });
        continue;
      }
      const places = storedAt.get(r.value) ?? [];
      const writer = r.producerId !== undefined && r.producerId >= 0 && r.sequence !== undefined && r.sequence >= 0 ? `${r.producerId}/${r.producerEpoch}/${r.sequence}` : null;
      places.push({ partition, offset: r.offset, writer });
      storedAt.set(r.value, places);
      if (places.length > 1) {
        const where = places.map((x) => `${x.partition}@${x.offset}${x.writer ? ` (pid/epoch/seq ${x.writer})` : ''}`).join(' and ');
        const sender = sendByValue.get(r.value)!;
        // Two different writes of one record: the client sent it again as new records.
        const resent = places[0]!.writer !== null && writer !== null && places[0]!.writer !== writer;
        if (h.acks === 1) duplicatedAtAcks1++; // without idempotence (Kafka refuses it below acks=all) a retry may store a record twice
        else if (resent && sender.clientKind !== 'minikafka') anomalies.push({ kind: 'resent', client: sender.client, seq: sender.seq, partition });
        else violations.push({ kind: resent ? 'own-client-anomaly' : 'duplicated', partition, detail: `${r.value} stored at ${where}` });
        continue;
      }
      const before = lastSeq.get(id.client);
      if (before !== undefined && id.seq < before) {
        violations.push({ kind: 'reordered', partition, detail: `${r.value} at offset ${r.offset} after ${id.client}:${before}` });
      }
      lastSeq.set(id.client, Math.max(before ?? -1, id.seq));
    }
  }

  let lostAtAcks1 = 0;
  for (const s of h.sends) {
    if (s.status !== 'acked') continue;
    const places = storedAt.get(s.value);
    if (places) {
      if (s.offset >= 0 && !places.some((at) => at.offset === s.offset && (s.partition < 0 || at.partition === s.partition))) {
        const where = places.map((at) => `${at.partition}@${at.offset}`).join(', ');
        violations.push({ kind: 'offset-mismatch', partition: places[0]!.partition, detail: `${s.value} acknowledged at ${s.partition}@${s.offset}, stored at ${where}` });
      }
      continue;
    }
    const anomaly = clientAnomaly(s, valueAt);
    if (anomaly !== null) {
      if (s.clientKind === 'minikafka') {
        violations.push({ kind: 'own-client-anomaly', partition: s.partition, detail: `${s.value}: ${anomaly} (our producer must never do this)` });
      } else anomalies.push({ kind: anomaly, client: s.client, seq: s.seq, partition: s.partition });
      continue;
    }
    if (h.acks === 1) lostAtAcks1++;
    else violations.push({ kind: 'lost', partition: s.partition, detail: `${s.value} acknowledged at ${s.partition}@${s.offset} is not stored` });
  }

  checkConsumed(h, valueAt, violations);
  checkCommits(h, valueAt, violations);
  for (const d of h.replicaDivergences) violations.push({ kind: 'replica-divergence', partition: d.partition, detail: `broker ${d.broker}: ${d.detail}` });
  for (const d of h.notHealed ?? []) violations.push({ kind: 'not-healed', partition: d.partition, detail: `broker ${d.broker}: ${d.detail}` });

  return {
    violations,
    clientAnomalies: anomalies,
    stats: {
      sent: h.sends.length,
      acked: h.sends.filter((s) => s.status === 'acked').length,
      failed: h.sends.filter((s) => s.status === 'failed').length,
      pending: h.sends.filter((s) => s.status === 'pending').length,
      stored: storedCount,
      lostAtAcks1,
      duplicatedAtAcks1,
      commits: h.commits.filter((c) => c.kind === 'acked').length,
      consumed: h.consumed.length,
    },
  };
}

/** Why an acknowledged record is missing, when the evidence points at the client. */
function clientAnomaly(s: SendOutcome, valueAt: Map<number, Map<number, string | null>>): ClientAnomaly['kind'] | null {
  if (s.ackWithoutPartition) return 'not-sent';
  // At acks=all only a duplicate is acknowledged without an offset (one the broker no longer had the offset of).
  if (s.offset < 0 && s.partition >= 0) return 'sequence-reuse';
  if (s.partition < 0) return null;
  const there = parsePayload(valueAt.get(s.partition)?.get(s.offset) ?? null);
  if (there !== null && there.client === s.client && there.seq < s.seq) return 'sequence-reuse';
  return null;
}

function checkConsumed(h: History, valueAt: Map<number, Map<number, string | null>>, violations: Violation[]): void {
  const seen = new Set<string>();
  for (const c of h.consumed) {
    const key = `${c.partition}@${c.offset}`;
    if (seen.has(key)) continue;
    const stored = valueAt.get(c.partition);
    const v = stored?.get(c.offset);
    if (stored !== undefined && stored.has(c.offset) && v === c.value) continue;
    seen.add(key);
    violations.push({
      kind: 'consumed-divergent',
      partition: c.partition,
      detail: `group ${c.group} consumed ${JSON.stringify(c.value)} at ${key}; the log holds ${v === undefined ? 'nothing' : JSON.stringify(v)} there`,
    });
  }
}

function checkCommits(h: History, valueAt: Map<number, Map<number, string | null>>, violations: Violation[]): void {
  const byKey = new Map<string, typeof h.commits>();
  for (const c of h.commits) {
    const key = `${c.group}\u0000${c.partition}`;
    const list = byKey.get(key) ?? [];
    list.push(c);
    byKey.set(key, list);
  }
  for (const list of byKey.values()) {
    const ordered = [...list].sort((a, b) => a.at - b.at);
    const { group, partition } = ordered[0]!;
    let maxAcked = -1;
    for (const c of ordered) {
      if (c.offset < maxAcked) {
        violations.push({ kind: 'commit-backwards', partition, detail: `group ${group}: ${c.kind} committed offset ${c.offset} at ${c.at} ms after offset ${maxAcked} was acknowledged` });
      }
      if (c.kind === 'acked') maxAcked = Math.max(maxAcked, c.offset);
    }
    if (maxAcked <= 0) continue;
    const consumed = new Set(h.consumed.filter((r) => r.group === group && r.partition === partition).map((r) => r.offset));
    const missing: number[] = [];
    for (const offset of valueAt.get(partition)?.keys() ?? []) {
      if (offset < maxAcked && !consumed.has(offset)) missing.push(offset);
    }
    if (missing.length > 0) {
      violations.push({
        kind: 'commit-skip',
        partition,
        detail: `group ${group} committed ${maxAcked} but never consumed ${missing.length} record(s) below it (first at offset ${Math.min(...missing)})`,
      });
    }
  }
}

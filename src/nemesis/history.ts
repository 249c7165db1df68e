// What a nemesis run records, for the checker: every send with its outcome, every commit the
// group made (acknowledged) or read back (observed), every record the group consumed, the
// final contents of each partition (read over the wire up to the high watermark after the
// cluster healed) and the replica comparison from disk.

export type ClientKind = 'minikafka' | 'kafkajs';

export interface SendOutcome {
  client: string;
  clientKind: ClientKind;
  seq: number;
  /** The record's unique payload, `${client}:${seq}`. */
  value: string;
  /** The partition it was acknowledged on (or aimed at; -1 when unknown). */
  partition: number;
  status: 'acked' | 'failed' | 'pending';
  /** The acknowledged offset; -1 when the client did not say. */
  offset: number;
  /** The client resolved the send, but its answer carried nothing for this record's partition. */
  ackWithoutPartition?: boolean;
  error?: string;
}

export interface CommitEvent {
  group: string;
  partition: number;
  offset: number;
  /** Ms since the start of the run. */
  at: number;
  /** acked: the broker acknowledged this commit; observed: OffsetFetch read this value back. */
  kind: 'acked' | 'observed';
}

export interface ConsumedRecord {
  group: string;
  partition: number;
  offset: number;
  value: string | null;
}

export interface StoredRecord {
  offset: number;
  value: string | null;
  /** Who wrote it: the batch's producer id and epoch and the record's sequence (when known; -1 without idempotence). */
  producerId?: number;
  producerEpoch?: number;
  sequence?: number;
}

export interface ReplicaDivergence {
  partition: number;
  broker: number;
  detail: string;
}

export interface History {
  topic: string;
  partitions: number;
  acks: 'all' | 1;
  sends: SendOutcome[];
  commits: CommitEvent[];
  consumed: ConsumedRecord[];
  /** Partition → its records below the high watermark, by offset. */
  stored: Map<number, StoredRecord[]>;
  replicaDivergences: ReplicaDivergence[];
  /** Replicas still out of the ISR after healing (with how their logs differ). */
  notHealed?: ReplicaDivergence[];
}

export function payload(client: string, seq: number): string {
  return `${client}:${seq}`;
}

export function parsePayload(value: string | null): { client: string; seq: number } | null {
  if (value === null) return null;
  const at = value.lastIndexOf(':');
  if (at <= 0) return null;
  const seq = Number(value.slice(at + 1));
  return Number.isInteger(seq) ? { client: value.slice(0, at), seq } : null;
}

/** Records history as the drivers run. */
export class HistoryRecorder {
  readonly sends: SendOutcome[] = [];
  readonly commits: CommitEvent[] = [];
  readonly consumed: ConsumedRecord[] = [];
  private readonly t0 = Date.now();

  now(): number {
    return Date.now() - this.t0;
  }

  send(client: string, clientKind: ClientKind, seq: number, partition = -1): SendOutcome {
    const s: SendOutcome = { client, clientKind, seq, value: payload(client, seq), partition, status: 'pending', offset: -1 };
    this.sends.push(s);
    return s;
  }

  commit(group: string, partition: number, offset: number, kind: CommitEvent['kind']): void {
    this.commits.push({ group, partition, offset, at: this.now(), kind });
  }

  consume(group: string, partition: number, offset: number, value: string | null): void {
    this.consumed.push({ group, partition, offset, value });
  }
}

// The records of Kafka's internal `__transaction_state` topic, where the transaction coordinator
// keeps one record per transactional id (the last one wins; a null value is a tombstone), as
// Kafka's TransactionLog writes them:
//
//   TransactionLogKey    int16 version (0), string transactionalId
//   TransactionLogValue  v0: int16 0, int64 producerId, int16 producerEpoch, int32 timeoutMs,
//                        int8 state, nullable [string topic, [int32 partition]], int64 lastUpdateMs,
//                        int64 startMs
//                        v1 (flexible, written only under transaction.version 2, read here):
//                        the same fields in compact form, tagged 0 previousProducerId,
//                        1 nextProducerId, 2 clientTransactionVersion
//
// Without transaction.version 2 Kafka writes value version 0, and so do we. An Empty state is
// written with a null partition list. A transactional id lives in partition
// abs(transactionalId.hashCode()) % partitions, as a group does in __consumer_offsets.
import type { KafkaConfig } from '../../common/KafkaConfig.js';
import { Reader, Writer } from '../../protocol/primitives.js';
import type { CoordinatorRecordCodec } from '../group/OffsetsPartition.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/** Kafka's TransactionState ids, as the log stores them. */
export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TxnState = (typeof TxnState)[keyof typeof TxnState];

const STATE_NAMES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'] as const;

/** Kafka's state name (DescribeTransactions, ListTransactions). */
export function txnStateName(s: TxnState): string {
  return STATE_NAMES[s]!;
}

/** The state of a name, or undefined for an unknown one. */
export function txnStateOf(name: string): TxnState | undefined {
  const i = (STATE_NAMES as readonly string[]).indexOf(name);
  return i < 0 ? undefined : (i as TxnState);
}

/** One stored transaction: a TransactionLogValue. */
export interface StoredTransaction {
  producerId: number;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  /** topic → partitions */
  partitions: Map<string, number[]>;
  lastUpdateMs: number;
  startMs: number;
}

export interface TxnLogRecord {
  transactionalId: string;
  /** null: a tombstone (the id expired). */
  value: StoredTransaction | null;
}

const KEY_VERSION = 0;

export function encodeTxnKey(transactionalId: string): Buffer {
  return new Writer(32).int16(KEY_VERSION).string(transactionalId).toBuffer();
}

export function encodeTxnValue(v: StoredTransaction): Buffer {
  const w = new Writer(64);
  w.int16(0).int64(v.producerId).int16(v.producerEpoch).int32(v.timeoutMs).int8(v.state);
  if (v.state === TxnState.Empty) {
    w.arrayLength(-1);
  } else {
    w.arrayLength(v.partitions.size);
    for (const [topic, parts] of v.partitions) {
      w.string(topic).arrayLength(parts.length);
      for (const p of parts) w.int32(p);
    }
  }
  w.int64(v.lastUpdateMs).int64(v.startMs);
  return w.toBuffer();
}

/** Decode one record; null for a key version this coordinator does not know (skipped, as Kafka does). Throws on bad bytes. */
export function decodeTxnRecord(key: Buffer, value: Buffer | null): TxnLogRecord | null {
  const k = new Reader(key);
  if (k.int16() !== KEY_VERSION) return null;
  const transactionalId = k.string();
  if (value === null) return { transactionalId, value: null };
  const r = new Reader(value);
  const version = r.int16();
  if (version !== 0 && version !== 1) throw new Error(`unknown TransactionLogValue version ${version}`);
  const flexible = version >= 1;
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const timeoutMs = r.int32();
  const state = r.int8();
  if (state < 0 || state > 7) throw new Error(`unknown transaction state ${state}`);
  const partitions = new Map<string, number[]>();
  const n = flexible ? r.compactArrayLength() : r.arrayLength();
  for (let i = 0; i < n; i++) {
    const topic = flexible ? r.compactString() : r.string();
    const m = flexible ? r.compactArrayLength() : r.arrayLength();
    const parts: number[] = [];
    for (let j = 0; j < m; j++) parts.push(r.int32());
    if (flexible) r.skipTaggedFields();
    partitions.set(topic, [...(partitions.get(topic) ?? []), ...parts]);
  }
  const lastUpdateMs = r.int64();
  const startMs = r.int64();
  if (flexible) r.skipTaggedFields();
  return { transactionalId, value: { producerId, producerEpoch, timeoutMs, state: state as TxnState, partitions, lastUpdateMs, startMs } };
}

/** How __transaction_state records are stored, for the coordinator runtime. */
export const txnRecordCodec: CoordinatorRecordCodec<TxnLogRecord> = {
  decode: decodeTxnRecord,
  encodeKey: (rec) => encodeTxnKey(rec.transactionalId),
  encodeValue: (rec) => (rec.value === null ? null : encodeTxnValue(rec.value)),
  keyOf: (rec) => rec.transactionalId,
  isTombstone: (rec) => rec.value === null,
  compactionRank: () => 0,
  loadCrashPoint: null,
};

/** Topic configs the coordinator creates __transaction_state with (Kafka's transactionTopicConfigs). */
export function transactionTopicConfigs(config: KafkaConfig): Record<string, string> {
  return {
    'cleanup.policy': 'compact',
    'compression.type': 'uncompressed',
    'unclean.leader.election.enable': 'false',
    'min.insync.replicas': config.get('transaction.state.log.min.isr'),
    'segment.bytes': config.get('transaction.state.log.segment.bytes'),
  };
}

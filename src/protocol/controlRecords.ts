// Control records (Kafka's ControlRecordType, EndTransactionMarker): the commit and abort
// markers a transaction coordinator has written to every partition of a transaction. A marker
// is a batch of its own with the control and transactional attribute bits set, the producer's
// id and epoch, no sequence, and one record:
//
//   key   int16 version (0), int16 type (0 = ABORT, 1 = COMMIT)
//   value int16 version (0), int32 coordinatorEpoch
//
// Readers skip control batches (consumers never see them); read_committed consumers use the
// abort markers, with the aborted-transaction index, to drop the records of aborted transactions.
import * as RB from './recordBatch.js';

export const ControlRecordType = { ABORT: 0, COMMIT: 1 } as const;

export interface EndTxnMarker {
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  /** true for COMMIT, false for ABORT. */
  commit: boolean;
  /** The batch timestamp (the coordinator's clock). */
  timestamp: number;
}

/** A marker batch at base offset 0, ready for UnifiedLog.appendAsLeader (which assigns its offset). */
export function buildEndTxnMarker(m: EndTxnMarker): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(m.commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(m.coordinatorEpoch, 2);
  const buf = RB.encodeRecordBatch({
    records: [{ key, value, timestamp: m.timestamp, headers: [] }],
    baseTimestamp: m.timestamp,
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    baseSequence: -1,
    transactional: true,
  });
  buf.writeInt16BE(RB.attributes(buf, 0) | RB.CONTROL_MASK, RB.ATTRIBUTES_OFFSET);
  RB.writeCrc(buf, 0);
  return buf;
}

/** The control record of the (control) batch at `pos`: its type, and the coordinator epoch of an end-transaction marker (-1 otherwise). */
export function readControlRecord(buf: Buffer, pos = 0): { type: number; coordinatorEpoch: number } {
  const [rec] = RB.decodeRecordBatches(buf.subarray(pos, pos + RB.batchSize(buf, pos)))[0]?.records ?? [];
  if (!rec || !rec.key || rec.key.length < 4) throw new Error('a control batch without a control record');
  const type = rec.key.readInt16BE(2);
  const isMarker = (type === ControlRecordType.ABORT || type === ControlRecordType.COMMIT) && rec.value !== null && rec.value.length >= 6;
  return { type, coordinatorEpoch: isMarker ? rec.value!.readInt32BE(2) : -1 };
}

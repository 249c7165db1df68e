import { describe, expect, it } from 'vitest';
import { buildEndTxnMarker, ControlRecordType, readControlRecord } from '../src/protocol/controlRecords.js';
import * as RB from '../src/protocol/recordBatch.js';

describe('end-transaction markers', () => {
  it('are one control record in a transactional control batch with the producer id and epoch, and read back', () => {
    for (const commit of [true, false]) {
      const buf = buildEndTxnMarker({ producerId: 4001, producerEpoch: 7, coordinatorEpoch: 12, commit, timestamp: 1_700_000_000_000 });
      expect(RB.isControl(buf)).toBe(true);
      expect(RB.isTransactional(buf)).toBe(true);
      expect(RB.isCrcValid(buf)).toBe(true);
      expect(RB.producerId(buf)).toBe(4001);
      expect(RB.producerEpoch(buf)).toBe(7);
      expect(RB.baseSequence(buf)).toBe(-1);
      expect(RB.recordCount(buf)).toBe(1);
      expect(RB.batchSize(buf)).toBe(buf.length);
      expect(readControlRecord(buf)).toEqual({ type: commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, coordinatorEpoch: 12 });
    }
  });
});

// ProducerStateManager through UnifiedLog: the idempotence rules on a leader append, replay on
// followers, and expiry after producer.id.expiration.ms.
import { describe, expect, it } from 'vitest';
import { LogConfig } from '../src/log/LogConfig.js';
import { UnifiedLog } from '../src/log/UnifiedLog.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { encodeRecordBatch } from '../src/protocol/recordBatch.js';

const batch = (pid: number, epoch: number, seq: number, n = 1, timestamp = 1_000) =>
  encodeRecordBatch({
    producerId: pid,
    producerEpoch: epoch,
    baseSequence: seq,
    baseTimestamp: timestamp,
    records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`${seq + i}`), timestamp })),
  });

describe('producer state', () => {
  it('a duplicate returns the original offsets; expiry forgets the producer so any sequence is accepted', () => {
    const log = UnifiedLog.open(null, new LogConfig());
    expect(log.appendAsLeader(batch(7, 0, 0, 2), 0)).toMatchObject({ firstOffset: 0, lastOffset: 1 });
    expect(log.appendAsLeader(batch(7, 0, 0, 2), 0)).toMatchObject({ firstOffset: 0, lastOffset: 1, duplicate: true });
    expect(() => log.appendAsLeader(batch(7, 0, 5), 0)).toThrow(expect.objectContaining({ code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER }));
    expect(log.removeExpiredProducers(1_000 + 999, 1_000)).toBe(0);
    expect(log.removeExpiredProducers(1_000 + 1_000, 1_000)).toBe(1);
    expect(log.appendAsLeader(batch(7, 0, 5), 0)).toMatchObject({ firstOffset: 2 });
    expect(log.logEndOffset).toBe(3);
  });

  it('a follower that replicated the batches deduplicates like the old leader did', () => {
    const leader = UnifiedLog.open(null, new LogConfig());
    leader.appendAsLeader(batch(9, 0, 0, 3), 0);
    leader.appendAsLeader(batch(9, 0, 3, 2), 0);
    const follower = UnifiedLog.open(null, new LogConfig());
    follower.appendAsFollower(leader.read(0, 1 << 20, leader.logEndOffset, true).records!);
    // After failover the follower leads: a retry of the last batch is answered from its cache.
    expect(follower.appendAsLeader(batch(9, 0, 3, 2), 1)).toMatchObject({ firstOffset: 3, lastOffset: 4, duplicate: true });
    expect(() => follower.appendAsLeader(batch(9, 0, 9), 1)).toThrow(expect.objectContaining({ code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER }));
    expect(follower.appendAsLeader(batch(9, 0, 5), 1)).toMatchObject({ firstOffset: 5 });
  });
});

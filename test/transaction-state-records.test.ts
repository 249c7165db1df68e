// __transaction_state records as Kafka's TransactionLog writes them: key version 0 with the
// transactional id; value version 0 (producer id, epoch, timeout, state id, partitions by topic —
// null for Empty — last update and start timestamps), byte for byte; version 1 (flexible, what a
// transaction.version 2 broker writes) is read too; a tombstone is a null value; unknown key
// versions are skipped.
import { describe, expect, it } from 'vitest';
import { Writer } from '../src/protocol/primitives.js';
import { decodeTxnRecord, encodeTxnKey, encodeTxnValue, TxnState, txnStateName, txnStateOf } from '../src/server/transaction/TransactionLog.js';

const ongoing = {
  producerId: 4001,
  producerEpoch: 3,
  timeoutMs: 60_000,
  state: TxnState.Ongoing,
  partitions: new Map([
    ['orders', [0, 2]],
    ['__consumer_offsets', [17]],
  ]),
  lastUpdateMs: 1_700_000_000_123,
  startMs: 1_700_000_000_100,
};

describe('TransactionLog records', () => {
  it('key: int16 0, string transactional id', () => {
    expect(encodeTxnKey('tx')).toEqual(Buffer.from([0, 0, 0, 2, 0x74, 0x78]));
  });

  it('value v0, byte for byte, and back', () => {
    const w = new Writer();
    w.int16(0).int64(4001).int16(3).int32(60_000).int8(1);
    w.int32(2).string('orders').int32(2).int32(0).int32(2).string('__consumer_offsets').int32(1).int32(17);
    w.int64(1_700_000_000_123).int64(1_700_000_000_100);
    const bytes = encodeTxnValue(ongoing);
    expect(bytes).toEqual(w.toBuffer());
    expect(decodeTxnRecord(encodeTxnKey('tx'), bytes)).toEqual({ transactionalId: 'tx', value: ongoing });
  });

  it('Empty is written with a null partition list', () => {
    const empty = { ...ongoing, state: TxnState.Empty, partitions: new Map(), startMs: -1 };
    const bytes = encodeTxnValue(empty);
    expect(bytes.readInt32BE(2 + 8 + 2 + 4 + 1)).toBe(-1);
    expect(decodeTxnRecord(encodeTxnKey('tx'), bytes)!.value).toEqual(empty);
  });

  it('value v1 (flexible, tagged fields) is read', () => {
    const w = new Writer();
    w.int16(1).int64(4001).int16(3).int32(60_000).int8(2);
    w.compactArrayLength(1).compactString('orders').compactArrayLength(1).int32(5).emptyTaggedFields();
    w.int64(10).int64(5);
    // tagged fields: 0 previousProducerId, 2 clientTransactionVersion
    w.uvarint(2).uvarint(0).uvarint(8).raw(Buffer.alloc(8, 0xff)).uvarint(2).uvarint(2).raw(Buffer.from([0, 2]));
    expect(decodeTxnRecord(encodeTxnKey('tx'), w.toBuffer())!.value).toEqual({
      producerId: 4001,
      producerEpoch: 3,
      timeoutMs: 60_000,
      state: TxnState.PrepareCommit,
      partitions: new Map([['orders', [5]]]),
      lastUpdateMs: 10,
      startMs: 5,
    });
  });

  it('a tombstone, an unknown key version, and bad values', () => {
    expect(decodeTxnRecord(encodeTxnKey('gone'), null)).toEqual({ transactionalId: 'gone', value: null });
    expect(decodeTxnRecord(Buffer.from([0, 1, 0, 0]), Buffer.alloc(4))).toBeNull();
    expect(() => decodeTxnRecord(encodeTxnKey('tx'), Buffer.from([0, 9]))).toThrow(/version 9/);
    const badState = encodeTxnValue(ongoing);
    badState.writeInt8(12, 2 + 8 + 2 + 4);
    expect(() => decodeTxnRecord(encodeTxnKey('tx'), badState)).toThrow(/state 12/);
  });

  it("state names are Kafka's", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((s) => txnStateName(s as TxnState))).toEqual([
      'Empty',
      'Ongoing',
      'PrepareCommit',
      'PrepareAbort',
      'CompleteCommit',
      'CompleteAbort',
      'Dead',
      'PrepareEpochFence',
    ]);
    expect(txnStateOf('Ongoing')).toBe(TxnState.Ongoing);
    expect(txnStateOf('ongoing')).toBeUndefined();
  });
});

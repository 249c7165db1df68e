// Bad input gets Kafka's error code or a closed connection; the broker keeps serving others
// and no stored byte changes.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import {
  decodeApiVersionsResponse,
  decodeMetadataResponse,
  decodeProduceResponse,
  encodeApiVersionsRequest,
  encodeMetadataRequest,
  encodeProduceRequest,
} from '../src/protocol/messages/index.js';
import { Reader } from '../src/protocol/primitives.js';
import { encodeRecordBatch, MAGIC_OFFSET, BATCH_LENGTH_OFFSET } from '../src/protocol/recordBatch.js';
import { RawClient } from './support/RawClient.js';

const MAX_REQUEST = 64 * 1024;
let cluster: Cluster;
let bootstrap: string;

beforeAll(async () => {
  cluster = await startCluster({ config: { 'socket.request.max.bytes': MAX_REQUEST, 'message.max.bytes': 4096 } });
  bootstrap = cluster.bootstrapServers[0]!;
  await cluster.createTopic('victim', { partitions: 1 });
});
afterAll(async () => {
  await cluster?.close();
});

function batch(values: string[]): Buffer {
  return encodeRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })) });
}

async function produce(client: RawClient, records: Buffer, acks = -1, version = 7) {
  const res = await client.request(0, version, encodeProduceRequest, decodeProduceResponse, {
    transactionalId: null,
    acks,
    timeoutMs: 1000,
    topicData: [{ name: 'victim', partitionData: [{ index: 0, records }] }],
  });
  return res.responses[0]!.partitionResponses[0]!;
}

function segmentBytes(): Buffer {
  return fs.readFileSync(path.join(cluster.dataDir!, 'broker-1', 'victim-0', '00000000000000000000.log'));
}

/** The broker still answers a well-formed request on a fresh connection. */
async function stillServing(): Promise<void> {
  const c = await RawClient.connect(bootstrap);
  const res = await c.request(3, 1, encodeMetadataRequest, decodeMetadataResponse, {
    topics: null,
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  c.close();
  expect(res.topics.map((t) => t.name)).toContain('victim');
}

describe('bad input', () => {
  it('a valid batch is stored (the baseline the other cases must not change)', async () => {
    const c = await RawClient.connect(bootstrap);
    const r = await produce(c, batch(['good-0', 'good-1']));
    c.close();
    expect(r.errorCode).toBe(0);
    expect(r.baseOffset).toBe(0);
  });

  const rejected: [string, () => Buffer, number][] = [
    [
      'a bad CRC',
      () => {
        const b = batch(['x']);
        b[b.length - 1]! ^= 0xff;
        return b;
      },
      ErrorCode.CORRUPT_MESSAGE,
    ],
    [
      'a wrong magic byte',
      () => {
        const b = batch(['x']);
        b[MAGIC_OFFSET] = 1;
        return b;
      },
      ErrorCode.INVALID_RECORD,
    ],
    [
      'a batch length claiming more bytes than sent',
      () => {
        const b = batch(['x']);
        b.writeInt32BE(b.readInt32BE(BATCH_LENGTH_OFFSET) + 100, BATCH_LENGTH_OFFSET);
        return b;
      },
      ErrorCode.INVALID_RECORD,
    ],
    ['a truncated batch', () => batch(['truncated']).subarray(0, 40), ErrorCode.INVALID_RECORD],
    ['two batches in one partition', () => Buffer.concat([batch(['a']), batch(['b'])]), ErrorCode.INVALID_RECORD],
    ['a batch over max.message.bytes', () => batch(['z'.repeat(5000)]), ErrorCode.MESSAGE_TOO_LARGE],
  ];

  for (const [what, make, code] of rejected) {
    it(`${what} is rejected with ${code} and nothing is stored`, async () => {
      const before = segmentBytes();
      const c = await RawClient.connect(bootstrap);
      const r = await produce(c, make());
      expect(r.errorCode).toBe(code);
      // The connection stays usable.
      const ok = await produce(c, batch(['after']), 1);
      c.close();
      expect(ok.errorCode).toBe(0);
      const after = segmentBytes();
      expect(after.subarray(0, before.length).equals(before)).toBe(true);
    });
  }

  it('acks outside -1, 0, 1 gets INVALID_REQUIRED_ACKS', async () => {
    const c = await RawClient.connect(bootstrap);
    const r = await produce(c, batch(['x']), 2);
    c.close();
    expect(r.errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
  });

  it('an unsupported ApiVersions version gets the v0-shaped UNSUPPORTED_VERSION reply and the connection stays open', async () => {
    const c = await RawClient.connect(bootstrap);
    const reply = c.nextFrame();
    c.writeRaw(c.encodeRequest(18, 9, () => {}, {}, 77));
    const frame = await reply;
    const r = new Reader(frame);
    expect(r.int32()).toBe(77);
    const body = decodeApiVersionsResponse(r, 0);
    expect(body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(body.apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 5 }]);
    const ok = await c.request(18, 3, encodeApiVersionsRequest, decodeApiVersionsResponse, {
      clientSoftwareName: 'test',
      clientSoftwareVersion: '1.0',
    });
    c.close();
    expect(ok.errorCode).toBe(0);
  });

  it('a good acks=-1 Produce followed by garbage in the same write is answered before the connection closes', async () => {
    const before = segmentBytes().length;
    const c = await RawClient.connect(bootstrap);
    const frames: Buffer[] = [];
    let closedAfter = -1;
    const reply = c.nextFrame().then((f) => frames.push(f));
    void c.closed.then(() => (closedAfter = frames.length));
    const good = c.encodeRequest(0, 7, encodeProduceRequest, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 'victim', partitionData: [{ index: 0, records: batch(['before-garbage']) }] }],
    });
    c.writeRaw(Buffer.concat([good, Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3])]));
    await c.closed;
    await reply.catch(() => {});
    expect(frames).toHaveLength(1);
    expect(closedAfter).toBe(1);
    const r = new Reader(frames[0]!);
    expect(r.int32()).toBeGreaterThan(0); // correlation id
    const res = decodeProduceResponse(r, 7);
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    expect(segmentBytes().length).toBeGreaterThan(before); // stored once
  });

  const closing: [string, (c: RawClient) => Buffer][] = [
    ['a frame larger than socket.request.max.bytes', () => Buffer.from([0x00, 0x10, 0x00, 0x01])],
    ['a negative frame size', () => Buffer.from([0xff, 0xff, 0xff, 0xf0])],
    ['an unknown API key', (c) => c.encodeRequest(999, 0, () => {}, {})],
    ['an unsupported Produce version', (c) => c.encodeRequest(0, 2, () => {}, {})],
    [
      'a truncated Metadata body',
      (c) => {
        const full = c.encodeRequest(3, 1, (w) => w.int32(5), {});
        return full; // claims five topic names and sends none
      },
    ],
    [
      'garbage after a valid header',
      (c) => {
        const frame = c.encodeRequest(19, 3, (w) => w.raw(Buffer.from('\x7f\xff\xff\xff garbage')), {});
        return frame;
      },
    ],
  ];

  for (const [what, make] of closing) {
    it(`${what} closes the connection; the broker keeps serving`, async () => {
      const before = segmentBytes();
      const c = await RawClient.connect(bootstrap);
      c.writeRaw(make(c));
      await c.closed;
      await stillServing();
      expect(segmentBytes().equals(before)).toBe(true);
    });
  }
});

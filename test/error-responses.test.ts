// Every API answers a failure with its own error code, never a closed connection (issue 10).
// For every advertised API × version an `error` fault answers a well-formed request (the
// generated samples) on a live broker: the connection stays open, the reply decodes to the last
// byte under the request's correlation id, and the code sits where Kafka's getErrorResponse puts
// it (every topic / partition / group / resource entry, or the top level), with the error
// message where the version has one and Kafka fills it. Then real failures: admin requests whose
// controller is unreachable are answered REQUEST_TIMED_OUT, which kafkajs surfaces as a
// protocol error, not a connection error.
import { Kafka, KafkaJSAggregateError, KafkaJSConnectionError, KafkaJSProtocolError, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { ErrorCode, errorName } from '../src/protocol/errors.js';
import * as M from '../src/protocol/messages/index.js';
import { API_LIST } from '../src/server/apis/index.js';
import { clearWriteFaults, injectWriteFault } from '../src/log/LogIO.js';
import { encodeRecordBatch } from '../src/protocol/recordBatch.js';
import { SAMPLE_CASES } from './generated/samples.js';
import { RawClient } from './support/RawClient.js';

/** Where an API's error response carries the code (and message), read off the request and the decoded reply. */
interface Shape {
  /** How many places must carry the code for this request. */
  entries(req: any, v: number): number;
  /** The codes found in the reply, in every place Kafka puts them. */
  codes(res: any, v: number): number[];
  /** The error messages, where the version has the field: 'exception' (the error's own), 'fixed' (Errors.message()), 'null' (Kafka leaves it empty). */
  messages?: { from: number; kind: 'exception' | 'fixed' | 'null'; read(res: any, v: number): (string | null)[] };
}

type Topics<P> = { partitions: P[] }[];
const count = (topics: Topics<unknown>) => topics.reduce((n, t) => n + t.partitions.length, 0);
const partitionCodes = (topics: Topics<{ errorCode: number }>) => topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
const topLevel: Shape = { entries: () => 1, codes: (res) => [res.errorCode] };

const SHAPES: Record<number, Shape> = {
  0: {
    entries: (req) => req.topicData.reduce((n: number, t: any) => n + t.partitionData.length, 0),
    codes: (res) => res.responses.flatMap((t: any) => t.partitionResponses.map((p: any) => p.errorCode)),
    messages: { from: 8, kind: 'exception', read: (res) => res.responses.flatMap((t: any) => t.partitionResponses.map((p: any) => p.errorMessage)) },
  },
  1: {
    // Top-level code from v7; every partition too below v13, none at v13+.
    entries: (req, v) => (v >= 13 ? 1 : req.topics.reduce((n: number, t: any) => n + t.partitions.length, 0) + (v >= 7 ? 1 : 0)),
    codes: (res, v) => [...(v >= 7 ? [res.errorCode] : []), ...res.responses.flatMap((t: any) => t.partitions.map((p: any) => p.errorCode))],
  },
  2: { entries: (req) => count(req.topics), codes: (res) => partitionCodes(res.topics) },
  3: { entries: (req) => (req.topics ?? []).length, codes: (res) => res.topics.map((t: any) => t.errorCode) },
  8: { entries: (req) => count(req.topics), codes: (res) => partitionCodes(res.topics) },
  9: {
    // v8+: per group; v2–7: the top-level code and no partitions; v0–1: every requested partition.
    entries: (req, v) => (v >= 8 ? req.groups.length : v >= 2 ? 1 : req.topics.reduce((n: number, t: any) => n + t.partitionIndexes.length, 0)),
    codes: (res, v) =>
      v >= 8
        ? res.groups.flatMap((g: any) => [g.errorCode, ...partitionCodes(g.topics)])
        : [...(v >= 2 ? [res.errorCode] : []), ...partitionCodes(res.topics)],
  },
  10: {
    entries: (req, v) => (v >= 4 ? req.coordinatorKeys.length : 1),
    codes: (res, v) => (v >= 4 ? res.coordinators.map((c: any) => c.errorCode) : [res.errorCode]),
    messages: { from: 1, kind: 'fixed', read: (res, v) => (v >= 4 ? res.coordinators.map((c: any) => c.errorMessage) : [res.errorMessage]) },
  },
  11: topLevel,
  12: topLevel,
  13: topLevel,
  14: topLevel,
  15: { entries: (req) => req.groups.length, codes: (res) => res.groups.map((g: any) => g.errorCode) },
  16: topLevel,
  18: topLevel,
  19: {
    entries: (req) => req.topics.length,
    codes: (res) => res.topics.map((t: any) => t.errorCode),
    messages: { from: 1, kind: 'exception', read: (res) => res.topics.map((t: any) => t.errorMessage) },
  },
  20: {
    entries: (req, v) => (v >= 6 ? req.topics.length : req.topicNames.length),
    codes: (res) => res.responses.map((t: any) => t.errorCode),
    messages: { from: 5, kind: 'null', read: (res) => res.responses.map((t: any) => t.errorMessage) },
  },
  21: { entries: (req) => count(req.topics), codes: (res) => partitionCodes(res.topics) },
  22: topLevel,
  23: { entries: (req) => count(req.topics), codes: (res) => partitionCodes(res.topics) },
  // Below v4 every partition of the one transaction; v4+ (the batched broker form) the top level.
  24: {
    entries: (req, v) => (v >= 4 ? 1 : count(req.v3AndBelowTopics)),
    codes: (res, v) => (v >= 4 ? [res.errorCode] : res.resultsByTopicV3AndBelow.flatMap((t: any) => t.resultsByPartition.map((p: any) => p.partitionErrorCode))),
  },
  25: topLevel,
  26: topLevel,
  27: {
    entries: (req) => req.markers.reduce((n: number, m: any) => n + m.topics.reduce((k: number, t: any) => k + t.partitionIndexes.length, 0), 0),
    codes: (res) => res.markers.flatMap((m: any) => partitionCodes(m.topics)),
  },
  28: { entries: (req) => count(req.topics), codes: (res) => partitionCodes(res.topics) },
  32: {
    entries: (req) => req.resources.length,
    codes: (res) => res.results.map((r: any) => r.errorCode),
    messages: { from: 0, kind: 'fixed', read: (res) => res.results.map((r: any) => r.errorMessage) },
  },
  33: {
    entries: (req) => req.resources.length,
    codes: (res) => res.responses.map((r: any) => r.errorCode),
    messages: { from: 0, kind: 'exception', read: (res) => res.responses.map((r: any) => r.errorMessage) },
  },
  37: {
    entries: (req) => req.topics.length,
    codes: (res) => res.results.map((r: any) => r.errorCode),
    messages: { from: 0, kind: 'exception', read: (res) => res.results.map((r: any) => r.errorMessage) },
  },
  42: { entries: (req) => req.groupsNames.length, codes: (res) => res.results.map((r: any) => r.errorCode) },
  44: {
    entries: (req) => req.resources.length,
    codes: (res) => res.responses.map((r: any) => r.errorCode),
    messages: { from: 0, kind: 'exception', read: (res) => res.responses.map((r: any) => r.errorMessage) },
  },
  47: {
    entries: () => 1,
    codes: (res) => [res.errorCode, ...partitionCodes(res.topics)],
  },
  60: { ...topLevel, messages: { from: 0, kind: 'exception', read: (res) => [res.errorMessage] } },
  61: {
    entries: (req) => req.topics.reduce((n: number, t: any) => n + t.partitionIndexes.length, 0),
    codes: (res) => partitionCodes(res.topics),
    messages: { from: 0, kind: 'null', read: (res) => res.topics.flatMap((t: any) => t.partitions.map((p: any) => p.errorMessage)) },
  },
  34: {
    entries: (req) => req.dirs.reduce((n: number, d: any) => n + d.topics.reduce((k: number, t: any) => k + t.partitions.length, 0), 0),
    codes: (res) => res.results.flatMap((t: any) => t.partitions.map((p: any) => p.errorCode)),
  },
  // v3+ the top level; below v3 (no such field) one result.
  35: { entries: () => 1, codes: (res, v) => (v >= 3 ? [res.errorCode] : res.results.map((r: any) => r.errorCode)) },
  43: {
    entries: (req, v) => (v >= 1 ? 1 : 0) + (req.topicPartitions ?? []).reduce((n: number, t: any) => n + t.partitions.length, 0),
    codes: (res, v) => [...(v >= 1 ? [res.errorCode] : []), ...res.replicaElectionResults.flatMap((t: any) => t.partitionResult.map((p: any) => p.errorCode))],
  },
  45: {
    entries: (req) => 1 + count(req.topics),
    codes: (res) => [res.errorCode, ...partitionCodes(res.responses)],
    messages: { from: 0, kind: 'exception', read: (res) => [res.errorMessage, ...res.responses.flatMap((t: any) => t.partitions.map((p: any) => p.errorMessage))] },
  },
  46: { ...topLevel, messages: { from: 0, kind: 'exception', read: (res) => [res.errorMessage] } },
  48: { ...topLevel, messages: { from: 0, kind: 'exception', read: (res) => [res.errorMessage] } },
  49: {
    entries: (req) => req.entries.length,
    codes: (res) => res.entries.map((e: any) => e.errorCode),
    messages: { from: 0, kind: 'exception', read: (res) => res.entries.map((e: any) => e.errorMessage) },
  },
  55: topLevel,
  64: topLevel,
  75: { entries: (req) => req.topics.length, codes: (res) => res.topics.map((t: any) => t.errorCode) },
  65: { entries: (req) => req.transactionalIds.length, codes: (res) => res.transactionStates.map((s: any) => s.errorCode) },
  66: topLevel,
  29: topLevel,
  30: { entries: (req) => req.creations.length, codes: (res) => res.results.map((r: any) => r.errorCode) },
  31: { entries: (req) => req.filters.length, codes: (res) => res.filterResults.map((r: any) => r.errorCode) },
  17: topLevel,
  36: { ...topLevel, messages: { from: 0, kind: 'exception', read: (res) => [res.errorMessage] } },
  50: { ...topLevel, messages: { from: 0, kind: 'exception', read: (res) => [res.errorMessage] } },
  51: {
    entries: (req) => new Set([...req.deletions.map((d: any) => d.name), ...req.upsertions.map((u: any) => u.name)]).size,
    codes: (res) => res.results.map((r: any) => r.errorCode),
    messages: { from: 0, kind: 'exception', read: (res) => res.results.map((r: any) => r.errorMessage) },
  },
  74: topLevel,
};

// A code no handler answers on its own for these requests, so a match proves the fault's answer.
const CODE = ErrorCode.KAFKA_STORAGE_ERROR;

let cluster: Cluster;
let client: RawClient;

beforeAll(async () => {
  cluster = await startCluster();
  client = await RawClient.connect(cluster.bootstrapServers[0]!);
});
afterAll(async () => {
  client?.close();
  await cluster?.close();
});

function codecs(api: string) {
  const req = SAMPLE_CASES.find((c) => c.api === api && c.kind === 'request')!;
  const res = SAMPLE_CASES.find((c) => c.api === api && c.kind === 'response')!;
  return { sample: req.sample, encode: req.encode, decode: res.decode };
}

/** The connection still serves: an ApiVersions request on it is answered. */
async function stillOpen(c: RawClient): Promise<void> {
  const res = await c.request(18, 0, M.encodeApiVersionsRequest, M.decodeApiVersionsResponse, M.defaultApiVersionsRequest());
  expect(res.errorCode).toBe(ErrorCode.NONE);
}

describe('an injected error fault on every API and version', () => {
  it('every API has a shape here and an error response', () => {
    expect(API_LIST.map((a) => a.key).filter((k) => !SHAPES[k])).toEqual([]);
    expect(API_LIST.filter((a) => !a.errorResponse).map((a) => a.name)).toEqual([]);
  });

  for (const api of API_LIST) {
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      it(`${api.name} v${v}`, async () => {
        const shape = SHAPES[api.key]!;
        const { sample, encode, decode } = codecs(api.name);
        // A connection of its own, so one API closing it cannot fail the others.
        const conn = await RawClient.connect(cluster.bootstrapServers[0]!);
        onTestFinished(() => conn.close());
        // Variant 1 of a sample sets every nullable field to null (a null topic list, say).
        for (const variant of [0, 1]) {
          const req = sample(v, variant);
          const id = cluster.faults.add({ api: api.name, action: 'error', code: CODE, times: 1 });
          // RawClient.request checks the correlation id and that the reply decodes to its last byte.
          const res = await conn.request(api.key, v, encode, decode, req);
          expect(cluster.faults.list().map((f) => f.id)).not.toContain(id); // the fault answered it
          const entries = shape.entries(req, v);
          if (variant === 0) expect(entries).toBeGreaterThan(0);
          expect(shape.codes(res, v)).toEqual(Array(entries).fill(CODE));
          const m = shape.messages;
          if (m && v >= m.from) {
            const want = m.kind === 'exception' ? `injected by fault #${id}` : m.kind === 'fixed' ? errorName(CODE) : null;
            const got = m.read(res, v);
            expect(got).toEqual(Array(entries).fill(want));
          }
          await stillOpen(conn);
        }
      });
    }
  }

  it('ApiVersions answers UNSUPPORTED_VERSION with its own version range (KIP-511)', async () => {
    cluster.faults.add({ api: 'ApiVersions', action: 'error', code: ErrorCode.UNSUPPORTED_VERSION });
    const res = await client.request(18, 3, M.encodeApiVersionsRequest, M.decodeApiVersionsResponse, M.defaultApiVersionsRequest());
    expect(res.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(res.apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 5 }]);
    await stillOpen(client);
  });

  it('UNKNOWN_SERVER_ERROR carries no message (Kafka never leaks one)', async () => {
    cluster.faults.add({ api: 'CreateTopics', action: 'error', code: ErrorCode.UNKNOWN_SERVER_ERROR });
    const res = await client.request(19, 7, M.encodeCreateTopicsRequest, M.decodeCreateTopicsResponse, {
      ...M.defaultCreateTopicsRequest(),
      topics: [{ name: 'never', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    });
    expect(res.topics.map((t) => [t.name, t.errorCode, t.errorMessage])).toEqual([['never', ErrorCode.UNKNOWN_SERVER_ERROR, null]]);
    await stillOpen(client);
  });
});

describe('admin requests whose controller is unreachable', () => {
  // Kafka's forwarding broker answers a forwarded request that timed out with the request's
  // error response for a TimeoutException: REQUEST_TIMED_OUT on every entry, connection open.
  let isolated: Cluster;
  const TIMED_OUT = ErrorCode.REQUEST_TIMED_OUT;

  beforeAll(async () => {
    isolated = await startCluster({ config: { 'auto.create.topics.enable': false } });
    await isolated.createTopic('kept', { partitions: 1 });
    isolated.isolate(isolated.brokers[0]!.nodeId);
  });
  afterAll(async () => {
    isolated?.heal();
    await isolated?.close();
  });

  async function connect(): Promise<RawClient> {
    const raw = await RawClient.connect(isolated.bootstrapServers[0]!);
    onTestFinished(() => raw.close());
    return raw;
  }

  it('CreateTopics answers REQUEST_TIMED_OUT with the reason on every topic', async () => {
    const raw = await connect();
    const res = await raw.request(19, 7, M.encodeCreateTopicsRequest, M.decodeCreateTopicsResponse, {
      ...M.defaultCreateTopicsRequest(),
      topics: ['a', 'b'].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })),
    });
    expect(res.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['a', TIMED_OUT],
      ['b', TIMED_OUT],
    ]);
    expect(res.topics[0]!.errorMessage).toMatch(/unreachable/);
    await stillOpen(raw);
  });

  it('DeleteTopics, CreatePartitions, AlterConfigs and IncrementalAlterConfigs do the same', async () => {
    const raw = await connect();
    const del = await raw.request(20, 6, M.encodeDeleteTopicsRequest, M.decodeDeleteTopicsResponse, {
      ...M.defaultDeleteTopicsRequest(),
      topics: [{ name: 'kept', topicId: Buffer.alloc(16) }],
      timeoutMs: 1000,
    });
    expect(del.responses.map((r) => [r.name, r.errorCode])).toEqual([['kept', TIMED_OUT]]);
    const grow = await raw.request(37, 3, M.encodeCreatePartitionsRequest, M.decodeCreatePartitionsResponse, {
      ...M.defaultCreatePartitionsRequest(),
      topics: [{ name: 'kept', count: 2, assignments: null }],
    });
    expect(grow.results.map((r) => [r.name, r.errorCode])).toEqual([['kept', TIMED_OUT]]);
    const alter = await raw.request(33, 2, M.encodeAlterConfigsRequest, M.decodeAlterConfigsResponse, {
      ...M.defaultAlterConfigsRequest(),
      resources: [{ resourceType: 2, resourceName: 'kept', configs: [{ name: 'retention.ms', value: '1000' }] }],
    });
    expect(alter.responses.map((r) => [r.resourceName, r.errorCode])).toEqual([['kept', TIMED_OUT]]);
    const incremental = await raw.request(44, 1, M.encodeIncrementalAlterConfigsRequest, M.decodeIncrementalAlterConfigsResponse, {
      ...M.defaultIncrementalAlterConfigsRequest(),
      resources: [{ resourceType: 2, resourceName: 'kept', configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }] }],
    });
    expect(incremental.responses.map((r) => [r.resourceName, r.errorCode])).toEqual([['kept', TIMED_OUT]]);
    await stillOpen(raw);
    // Nothing was applied.
    expect(isolated.brokers[0]!.metadata.get('kept')!.partitions).toBe(1);
  });

  it('kafkajs admin surfaces it as a protocol error, not a connection error', async () => {
    const kafka = new Kafka({ clientId: 'errors-admin', brokers: isolated.bootstrapServers, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const err = await admin.createTopics({ topics: [{ topic: 'from-kafkajs', numPartitions: 1 }] }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(KafkaJSAggregateError);
      expect(err).not.toBeInstanceOf(KafkaJSConnectionError);
      const [first] = (err as KafkaJSAggregateError).errors;
      expect(first).toBeInstanceOf(KafkaJSProtocolError);
      expect((first as KafkaJSProtocolError).type).toBe('REQUEST_TIMED_OUT');
      // And the admin keeps working.
      expect(await admin.listTopics()).toContain('kept');
    } finally {
      await admin.disconnect();
    }
  });
});

describe('an admin request that hits a storage error', () => {
  // Kafka's log layer turns an I/O error into KafkaStorageException: the partition answers
  // KAFKA_STORAGE_ERROR, the others of the request are served, the connection stays open.
  afterAll(() => clearWriteFaults());

  it('DeleteRecords whose log start offset cannot be written answers KAFKA_STORAGE_ERROR for that partition', async () => {
    await cluster.createTopic('dr-storage', { partitions: 2 });
    const raw = await RawClient.connect(cluster.bootstrapServers[0]!);
    onTestFinished(() => raw.close());
    for (const index of [0, 1]) {
      const records = encodeRecordBatch({ records: [0, 1, 2].map((i) => ({ key: null, value: Buffer.from(`r${i}`) })) });
      const res = await raw.request(0, 9, M.encodeProduceRequest, M.decodeProduceResponse, {
        ...M.defaultProduceRequest(),
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: 'dr-storage', partitionData: [{ index, records }] }],
      });
      expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    }
    injectWriteFault({ site: 'log-start-offset', pathIncludes: 'dr-storage-0', code: 'EIO' });
    const res = await raw.request(21, 2, M.encodeDeleteRecordsRequest, M.decodeDeleteRecordsResponse, {
      topics: [{ name: 'dr-storage', partitions: [{ partitionIndex: 0, offset: 2 }, { partitionIndex: 1, offset: 2 }] }],
      timeoutMs: 5000,
    });
    expect(res.topics[0]!.partitions).toEqual([
      { partitionIndex: 0, lowWatermark: -1, errorCode: ErrorCode.KAFKA_STORAGE_ERROR },
      { partitionIndex: 1, lowWatermark: 2, errorCode: ErrorCode.NONE },
    ]);
    await stillOpen(raw);
    // Nothing changed on the failed partition: the next attempt (the disk healed) moves it.
    const again = await raw.request(21, 2, M.encodeDeleteRecordsRequest, M.decodeDeleteRecordsResponse, {
      topics: [{ name: 'dr-storage', partitions: [{ partitionIndex: 0, offset: 1 }] }],
      timeoutMs: 5000,
    });
    expect(again.topics[0]!.partitions).toEqual([{ partitionIndex: 0, lowWatermark: 1, errorCode: ErrorCode.NONE }]);
  });
});

// The producer's connection layer against a scripted broker: the ApiVersions v3 handshake
// falls back to the version an UNSUPPORTED_VERSION answer names, API versions are negotiated
// per broker (Produce v7 here), requests are pipelined and answered in order, and a broker
// without InitProducerId fails an idempotent producer with UnsupportedVersionError.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Producer, UnsupportedVersionError } from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { Reader, Writer } from '../src/protocol/primitives.js';
import { decodeRecordBatches } from '../src/protocol/recordBatch.js';

interface Seen {
  apiKey: number;
  version: number;
}

/** A broker that speaks just enough Kafka: ApiVersions (v0–2 only), Metadata, Produce v3–7. */
async function scriptedBroker(opts: { initProducerId: boolean }) {
  const seen: Seen[] = [];
  const produced: Buffer[] = [];
  let nextOffset = 0;
  const server = net.createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        const apiKey = frame.readInt16BE(0);
        const version = frame.readInt16BE(2);
        const r = new Reader(frame);
        const header = M.decodeRequestHeader(r, M.requestHeaderVersion(apiKey, version));
        seen.push({ apiKey, version });
        const w = new Writer();
        const size = w.reserveInt32();
        M.encodeResponseHeader(w, M.responseHeaderVersion(apiKey, version), { correlationId: header.correlationId });
        if (apiKey === 18) {
          if (version > 2) {
            // Kafka's answer to a version it does not know: v0-shaped, naming its own range.
            M.encodeApiVersionsResponse(w, 0, {
              errorCode: 35,
              apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 2 }],
              throttleTimeMs: 0,
              supportedFeatures: [],
              finalizedFeaturesEpoch: -1,
              finalizedFeatures: [],
              zkMigrationReady: false,
            });
          } else {
            const apiKeys = [
              { apiKey: 0, minVersion: 3, maxVersion: 7 },
              { apiKey: 3, minVersion: 1, maxVersion: 5 },
              { apiKey: 18, minVersion: 0, maxVersion: 2 },
            ];
            if (opts.initProducerId) apiKeys.push({ apiKey: 22, minVersion: 0, maxVersion: 1 });
            M.encodeApiVersionsResponse(w, version, { errorCode: 0, apiKeys, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1, finalizedFeatures: [], zkMigrationReady: false });
          }
        } else if (apiKey === 3) {
          const req = M.decodeMetadataRequest(r, version);
          const port = (server.address() as net.AddressInfo).port;
          M.encodeMetadataResponse(w, version, {
            throttleTimeMs: 0,
            brokers: [{ nodeId: 7, host: '127.0.0.1', port, rack: null }],
            clusterId: 'scripted',
            controllerId: 7,
            topics: (req.topics ?? []).map((t) => ({
              errorCode: 0,
              name: t.name,
              topicId: Buffer.alloc(16),
              isInternal: false,
              partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 7, leaderEpoch: 0, replicaNodes: [7], isrNodes: [7], offlineReplicas: [] }],
              topicAuthorizedOperations: -2147483648,
            })),
            clusterAuthorizedOperations: -2147483648,
          });
        } else if (apiKey === 22) {
          M.decodeInitProducerIdRequest(r, version);
          M.encodeInitProducerIdResponse(w, version, { throttleTimeMs: 0, errorCode: 0, producerId: 1234, producerEpoch: 0 });
        } else if (apiKey === 0) {
          const req = M.decodeProduceRequest(r, version);
          const responses = req.topicData.map((t) => ({
            name: t.name,
            partitionResponses: t.partitionData.map((p) => {
              produced.push(Buffer.from(p.records!));
              const base = nextOffset;
              nextOffset += decodeRecordBatches(p.records!)[0]!.recordCount;
              return { index: p.index, errorCode: 0, baseOffset: base, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null, currentLeader: { leaderId: -1, leaderEpoch: -1 } };
            }),
          }));
          M.encodeProduceResponse(w, version, { responses, throttleTimeMs: 0, nodeEndpoints: [] });
        } else {
          socket.destroy();
          return;
        }
        w.patchInt32(size, w.length - 4);
        socket.write(w.toBuffer());
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  servers.push(server);
  return { bootstrap: `127.0.0.1:${port}`, seen, produced };
}

const servers: net.Server[] = [];
const producers: Producer[] = [];
afterEach(async () => {
  for (const p of producers.splice(0)) await p.close({ timeoutMs: 0 });
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

describe('producer connection layer', () => {
  it('ApiVersions v3 → UNSUPPORTED_VERSION → v2; Produce v7 negotiated; pipelined requests answered in order', async () => {
    const b = await scriptedBroker({ initProducerId: true });
    const p = new Producer({ bootstrapServers: [b.bootstrap], batchSize: 100 });
    producers.push(p);
    const metas = await Promise.all(Array.from({ length: 30 }, (_, i) => p.send({ topic: 'scripted', value: `v${i}`.padEnd(30, '.') })));
    expect(metas.map((m) => m.offset)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const versions = b.seen.filter((s) => s.apiKey === 18).map((s) => s.version);
    expect(versions.slice(0, 2)).toEqual([3, 2]);
    expect(new Set(b.seen.filter((s) => s.apiKey === 0).map((s) => s.version))).toEqual(new Set([7]));
    expect(b.seen.some((s) => s.apiKey === 22)).toBe(true);
    const batches = b.produced.flatMap((x) => decodeRecordBatches(x));
    expect(batches.length).toBeGreaterThan(5);
    expect(batches.every((x) => x.producerId === 1234 && x.crcValid)).toBe(true);
    expect(p.metrics().producerId).toBe(1234);
  });

  it('an idempotent producer against a broker without InitProducerId fails with UnsupportedVersionError; without idempotence it works', async () => {
    const b = await scriptedBroker({ initProducerId: false });
    const p = new Producer({ bootstrapServers: [b.bootstrap] });
    producers.push(p);
    const err = await p.send({ topic: 'scripted', key: 'k', value: 'v' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedVersionError);
    expect((err as Error).message).toMatch(/does not support InitProducerId/);
    await expect(p.send({ topic: 'scripted', value: 'again' })).rejects.toThrow(/Cannot perform send because at least one previous idempotent request has failed/);
    const q = new Producer({ bootstrapServers: [b.bootstrap], enableIdempotence: false });
    producers.push(q);
    expect((await q.send({ topic: 'scripted', value: 'v' })).offset).toBe(0);
  });
});

// Our producer across a leader failover (3 brokers, replication factor 3, min.insync.replicas
// 2, acks=all, idempotent): the leader crashes mid-stream, batches are re-routed to the new
// leader once metadata shows it, and nothing acknowledged is lost or duplicated.
import { afterEach, describe, expect, it } from 'vitest';
import { Producer, startCluster, type Cluster, type RecordMetadata } from '../src/index.js';
import { readAll } from './support/fetchAll.js';

const clusters: Cluster[] = [];
const producers: Producer[] = [];

afterEach(async () => {
  for (const p of producers.splice(0)) await p.close({ timeoutMs: 0 });
  for (const c of clusters.splice(0)) await c.close();
});

describe('producer across a leader failover', () => {
  it('acks=all: crash the leader mid-stream; every record is stored once, in send order, on the new leader', async () => {
    const c = await startCluster({ brokers: 3, config: { 'broker.session.timeout.ms': 1000, 'broker.heartbeat.interval.ms': 100, 'min.insync.replicas': 2 } });
    clusters.push(c);
    await c.createTopic('failover', { partitions: 1, replicationFactor: 3 });
    await c.waitForReplication('failover');
    const first = c.leaderOf('failover', 0);
    const p = new Producer({ bootstrapServers: c.bootstrapServers, retryBackoffMs: 50, batchSize: 2048, requestTimeoutMs: 5000, deliveryTimeoutMs: 30_000 });
    producers.push(p);
    const n = 2000;
    const sends: Promise<RecordMetadata>[] = [];
    for (let i = 0; i < n; i++) {
      if (i === n / 2) await c.stopBroker(first, { crash: true });
      sends.push(p.send({ topic: 'failover', key: `k${i}`, value: `m${i}` }));
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 2));
    }
    const metas = await Promise.all(sends);
    const second = c.leaderOf('failover', 0);
    expect(second).not.toBe(first);
    expect(second).toBeGreaterThan(0);
    const stored = (await readAll(c.bootstrapServers[second - 1]!, 'failover')).map((r) => r.value);
    expect(stored).toEqual(Array.from({ length: n }, (_, i) => `m${i}`));
    expect(metas.map((m) => m.offset)).toEqual(Array.from({ length: n }, (_, i) => i));
    const m = p.metrics();
    expect(m.recordRetries).toBeGreaterThan(0);
    expect(m.metadataRefreshes).toBeGreaterThan(1);
  }, 30_000);
});

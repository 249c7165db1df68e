// The HTTP control plane with a process per broker: the brokers' own state (offsets, request
// metrics) comes over IPC from their processes, a crash is a real SIGKILL, and fault rules reach
// every process — including rules for every match ("times": "infinite"), which JSON over IPC
// used to turn into a rule that fired once.
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { untilValue as until } from './support/coordinator.js';

let cluster: Cluster;
let base: string;
const producers: Producer[] = [];

beforeAll(async () => {
  cluster = await startCluster({
    brokers: 3,
    processPerBroker: true,
    httpPort: 0,
    config: { 'broker.session.timeout.ms': 1500, 'broker.heartbeat.interval.ms': 100 },
  });
  base = `http://${cluster.httpAddress}`;
}, 60_000);

afterAll(async () => {
  for (const p of producers) await p.disconnect().catch(() => {});
  await cluster?.close();
});

const get = async (path: string) => {
  const res = await fetch(`${base}${path}`);
  return res.headers.get('content-type')?.startsWith('application/json') ? ((await res.json()) as any) : await res.text();
};
const post = async (path: string, body: object = {}) => {
  const res = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
};

async function producer(clientId: string, retries: number): Promise<Producer> {
  const kafka = new Kafka({ clientId, brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries, maxRetryTime: 500 } });
  const p = kafka.producer();
  await p.connect();
  producers.push(p);
  return p;
}

describe('HTTP control plane (process per broker)', () => {
  it("reports each broker's offsets and metrics from its own process", async () => {
    await cluster.createTopic('proc-orders', { partitions: 1 });
    const p = await producer('proc-test', 20);
    await p.send({ topic: 'proc-orders', acks: -1, messages: Array.from({ length: 7 }, (_, i) => ({ value: `m${i}` })) });
    const c = await until('the high watermark from the leader process', async () => {
      const view = await get('/cluster');
      return view.topics.find((t: any) => t.name === 'proc-orders').partitions[0].highWatermark === 7 ? view : undefined;
    });
    expect(c.processPerBroker).toBe(true);
    expect(c.brokers.map((b: any) => b.pid)).toEqual([1, 2, 3].map((id) => cluster.pidOf(id)));
    const leader = cluster.leaderOf('proc-orders', 0);
    const metrics: string = await get('/metrics');
    expect(metrics).toContain(`kafka_server_brokertopicmetrics_messagesin_total{broker="${leader}",topic="proc-orders"} 7`);
    expect(metrics).toMatch(new RegExp(`kafka_network_requestmetrics_requests_total\\{broker="${leader}",request="Produce"\\} [1-9]`));
  });

  it('applies a rule for every match in every broker process', async () => {
    const added = await post('/faults', { api: 'Produce', clientId: 'refused', action: 'error', code: 'INVALID_REQUIRED_ACKS', times: 'infinite' });
    expect(added.status).toBe(201);
    const p = await producer('refused', 0);
    for (let i = 0; i < 3; i++) {
      await expect(p.send({ topic: 'proc-orders', acks: -1, messages: [{ value: `refused ${i}` }] })).rejects.toThrow(/acks/i);
    }
    expect((await get('/faults')).map((f: any) => f.id)).toEqual([added.body.id]);
    await fetch(`${base}/faults`, { method: 'DELETE' });
    const [meta] = await p.send({ topic: 'proc-orders', acks: -1, messages: [{ value: 'accepted' }] });
    expect(meta!.errorCode).toBe(0);
  });

  it('drops a rule from the list once the broker processes have used it up', async () => {
    const leader = cluster.leaderOf('proc-orders', 0);
    const added = await post('/faults', { api: 'Produce', broker: leader, clientId: 'once', action: 'error', code: 'INVALID_REQUIRED_ACKS' });
    expect((await get('/faults')).map((f: any) => f.id)).toEqual([added.body.id]);
    const p = await producer('once', 0);
    await expect(p.send({ topic: 'proc-orders', acks: -1, messages: [{ value: 'refused' }] })).rejects.toThrow(/acks/i);
    expect(await get('/faults')).toEqual([]);
    expect(cluster.faults.list()).toEqual([]); // so a restarted broker does not get it again
    const [meta] = await p.send({ topic: 'proc-orders', acks: -1, messages: [{ value: 'accepted' }] });
    expect(meta!.errorCode).toBe(0);
  });

  it('crashes a leader process with SIGKILL over HTTP and restarts it', async () => {
    const leader = cluster.leaderOf('proc-orders', 0);
    const pid = cluster.pidOf(leader)!;
    expect((await post(`/brokers/${leader}/stop`, { crash: true })).body).toEqual({ broker: leader, running: false, crashed: true });
    expect(() => process.kill(pid, 0)).toThrow(); // the process is gone
    const moved = await until('a new leader', async () => {
      const view = await get('/cluster');
      const part = view.topics.find((t: any) => t.name === 'proc-orders').partitions[0];
      // A new leader's high watermark catches up once its followers fetch (as on Kafka).
      return part.leader > 0 && part.leader !== leader && part.highWatermark === 9 ? part : undefined;
    });
    expect(moved.isr).not.toContain(leader);
    expect(moved.logEndOffset).toBe(9);
    expect((await post(`/brokers/${leader}/start`)).status).toBe(200);
    expect(cluster.pidOf(leader)).not.toBe(pid);
    await until('the restarted broker in the ISR', async () => {
      const view = await get('/cluster');
      return view.topics.find((t: any) => t.name === 'proc-orders').partitions[0].isr.includes(leader);
    });
  });
});

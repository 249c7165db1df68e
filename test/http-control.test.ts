// The HTTP control plane of an in-process cluster (startCluster({ httpPort })), driven over real
// HTTP with node's fetch while kafkajs clients use the brokers: state views, fault rules, broker
// crashes and restarts, isolation, metrics, bad input, and `minikafka ctl` from the build.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { untilValue as until } from './support/coordinator.js';

const BIN = fileURLToPath(new URL('../bin/minikafka.js', import.meta.url));
const FAST = {
  'broker.session.timeout.ms': 1000,
  'broker.heartbeat.interval.ms': 100,
  'replica.lag.time.max.ms': 2000,
  'group.initial.rebalance.delay.ms': 0,
  'offsets.topic.num.partitions': 3,
  'min.insync.replicas': 1,
};

let cluster: Cluster;
let base: string;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, inMemory: true, httpPort: 0, config: FAST });
  base = `http://${cluster.httpAddress}`;
});

afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
  await cluster?.close();
});

interface Res<T = any> {
  status: number;
  body: T;
  type: string;
}

async function call<T = any>(method: string, path: string, body?: string | object): Promise<Res<T>> {
  const res = await fetch(`${base}${path}`, { method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, body: (type.startsWith('application/json') ? JSON.parse(text) : text) as T };
}

const kafka = () => new Kafka({ clientId: 'http-test', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 20, maxRetryTime: 500 } });

async function producer(opts: Parameters<Kafka['producer']>[0] = {}): Promise<Producer> {
  const p = kafka().producer(opts);
  await p.connect();
  closers.push(() => p.disconnect());
  return p;
}

const partitionOf = (c: any, topic: string, partition: number) => c.topics.find((t: any) => t.name === topic).partitions[partition];

/** The value of one Prometheus sample, by name and labels. */
function sample(text: string, name: string, labels: Record<string, string | number>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const inner = line.slice(name.length).match(/^\{([^}]*)\}/)?.[1] ?? '';
    const have = inner.split(',');
    if (want.every((w) => have.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('HTTP control plane (in process)', () => {
  it('shows brokers, the controller and each partition with leader, ISR and offsets', async () => {
    expect(cluster.httpAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    const health = await call('GET', '/healthz');
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', brokers: 3, running: 3 } });

    await cluster.createTopic('http-orders', { partitions: 2 });
    const p = await producer();
    await p.send({ topic: 'http-orders', acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ partition: 0, value: `v${i}` })) });

    const c = await until('the leader to report its high watermark', async () => {
      const r = await call('GET', '/cluster');
      return partitionOf(r.body, 'http-orders', 0).highWatermark === 5 ? r.body : undefined;
    });
    expect(c.brokers.map((b: any) => [b.id, b.running, b.fenced])).toEqual([
      [1, true, false],
      [2, true, false],
      [3, true, false],
    ]);
    expect(c.controllerId).toBe(1);
    expect(c.controller.port).toBe(cluster.controller.port);
    const p0 = partitionOf(c, 'http-orders', 0);
    expect(p0).toMatchObject({
      partition: 0,
      leader: cluster.leaderOf('http-orders', 0),
      isr: cluster.isr('http-orders', 0),
      underReplicated: false,
      offline: false,
      highWatermark: 5,
      logEndOffset: 5,
      logStartOffset: 0,
      lastStableOffset: 5,
    });
    expect(p0.replicas).toHaveLength(3);
    expect(p0.leaderEpoch).toBeGreaterThanOrEqual(0);
    expect(Object.keys(p0.replicaLogEndOffsets).sort()).toEqual(['1', '2', '3']);
    expect(partitionOf(c, 'http-orders', 1).highWatermark).toBe(0);
  });

  it('answers bad requests with JSON 4xx and the brokers keep serving', async () => {
    const bad = await call('POST', '/faults', '{"api": "Produce", ');
    expect(bad.status).toBe(400);
    expect(bad.type).toMatch(/^application\/json/);
    expect(bad.body.error).toMatch(/not JSON/);
    expect((await call('POST', '/faults', { api: 'Produc', action: 'error', code: 6 })).body.error).toMatch(/unknown api 'Produc'/);
    expect((await call('POST', '/faults', { api: 'Produce', action: 'explode' })).status).toBe(400);
    expect((await call('POST', '/faults', { api: 'Produce', action: 'error' })).body.error).toMatch(/needs 'code'/);
    expect((await call('POST', '/faults', { api: 'Produce', action: 'error', code: 'NO_SUCH_ERROR' })).status).toBe(400);
    expect((await call('POST', '/faults', { api: 'Produce', action: 'drop-response', tims: 2 })).body.error).toMatch(/unknown field/);
    expect((await call('POST', '/faults', [1, 2])).status).toBe(400);
    expect((await call('POST', '/faults', 'x'.repeat(100_000))).status).toBe(413);
    expect((await call('GET', '/nowhere')).status).toBe(404);
    expect((await call('GET', '/%zz')).status).toBe(400);
    expect((await call('DELETE', '/cluster')).status).toBe(405);
    expect((await call('POST', '/brokers/9/stop', {})).status).toBe(404);
    expect((await call('POST', '/brokers/1/stop', { crash: 'yes' })).body.error).toMatch(/'crash' must be true or false/);
    expect((await call('POST', '/brokers/1/stop', '{crash')).status).toBe(400);
    expect((await call('DELETE', '/faults/12345')).status).toBe(404);
    // Nothing reached the brokers: no rule, every broker up, and a client still produces.
    expect((await call('GET', '/faults')).body).toEqual([]);
    expect((await call('GET', '/healthz')).body.running).toBe(3);
    const p = await producer();
    const [meta] = await p.send({ topic: 'http-orders', acks: -1, messages: [{ partition: 1, value: 'still here' }] });
    expect(meta!.errorCode).toBe(0);
  });

  it('adds, lists, fires and removes fault rules (the cluster.faults.add rule object)', async () => {
    const added = await call('POST', '/faults', { api: 'Produce', topic: 'http-orders', action: 'error', code: 'INVALID_REQUIRED_ACKS' });
    expect(added.status).toBe(201);
    expect(added.body.rule).toEqual({ api: 'Produce', topic: 'http-orders', action: 'error', code: 21 });
    expect((await call('GET', '/faults')).body).toEqual([{ id: added.body.id, rule: added.body.rule }]);
    expect(cluster.faults.list().map((f) => f.id)).toEqual([added.body.id]);

    const p = await producer({ retry: { retries: 0 } });
    await expect(p.send({ topic: 'http-orders', acks: -1, messages: [{ partition: 0, value: 'refused' }] })).rejects.toThrow(/acks/i);
    expect((await call('GET', '/faults')).body).toEqual([]); // times defaults to 1: used up

    const a = await call('POST', '/faults', { api: 'Fetch', clientId: 'nobody', action: 'delay-response', ms: 10, times: 'infinite' });
    const b = await call('POST', '/faults', { api: 'Metadata', clientId: 'nobody', action: 'disconnect', times: 3 });
    expect((await call('GET', '/faults')).body.map((f: any) => f.rule.times)).toEqual(['infinite', 3]);
    expect(await call('DELETE', `/faults/${a.body.id}`)).toMatchObject({ status: 200, body: { removed: a.body.id } });
    expect((await call('GET', '/faults')).body.map((f: any) => f.id)).toEqual([b.body.id]);
    expect((await call('DELETE', '/faults')).body).toEqual({ removed: 1 });
    expect(cluster.faults.list()).toEqual([]);
  });

  it('shows groups with assignments, committed offsets and lag, and idempotent producers', async () => {
    await cluster.createTopic('http-events', { partitions: 2 });
    const p = await producer({ idempotent: true, maxInFlightRequests: 1 });
    await p.send({ topic: 'http-events', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `e${i}` })) });
    await p.send({ topic: 'http-events', acks: -1, messages: Array.from({ length: 4 }, (_, i) => ({ partition: 1, value: `f${i}` })) });

    const producers = await until('the idempotent producer on both partitions', async () => {
      const r = await call('GET', '/producers');
      const mine = r.body.filter((x: any) => x.topic === 'http-events');
      return mine.length === 2 ? mine : undefined;
    });
    expect(producers[0]).toMatchObject({ topic: 'http-events', partition: 0, producerEpoch: 0, lastSequence: 9, lastOffset: 9, leader: cluster.leaderOf('http-events', 0) });
    expect(producers[1]).toMatchObject({ partition: 1, lastSequence: 3, lastOffset: 3 });
    expect(producers[0].producerId).toBe(producers[1].producerId);
    expect(producers[0].producerId).toBeGreaterThanOrEqual(0);

    const consumer: Consumer = kafka().consumer({ groupId: 'http-readers', sessionTimeout: 6000, heartbeatInterval: 500 });
    await consumer.connect();
    closers.push(() => consumer.disconnect());
    await consumer.subscribe({ topic: 'http-events', fromBeginning: true });
    let seen = 0;
    await consumer.run({ autoCommitThreshold: 1, eachMessage: async () => void seen++ });

    const group = await until('the group to commit everything', async () => {
      const r = await call('GET', '/groups');
      const g = r.body.find((x: any) => x.groupId === 'http-readers');
      return g && g.state === 'Stable' && g.offsets.length === 2 && g.totalLag === 0 ? g : undefined;
    });
    expect(seen).toBe(14);
    expect(group).toMatchObject({ protocolType: 'consumer', protocol: expect.any(String), generationId: expect.any(Number) });
    expect(group.members).toHaveLength(1);
    expect(group.members[0]).toMatchObject({ clientId: 'http-test', assignment: { 'http-events': [0, 1] } });
    expect(group.offsets.map((o: any) => [o.topic, o.partition, o.offset, o.highWatermark, o.lag])).toEqual([
      ['http-events', 0, 10, 10, 0],
      ['http-events', 1, 4, 4, 0],
    ]);
    await consumer.stop();

    // Lag is the high watermark minus the committed offset.
    await p.send({ topic: 'http-events', acks: -1, messages: [{ partition: 0, value: 'late' }, { partition: 0, value: 'later' }] });
    const lagging = await until('lag 2', async () => {
      const g = (await call('GET', '/groups')).body.find((x: any) => x.groupId === 'http-readers');
      return g?.totalLag === 2 ? g : undefined;
    });
    expect(lagging.offsets.find((o: any) => o.partition === 0)).toMatchObject({ offset: 10, highWatermark: 12, lag: 2 });

    const metrics = await call<string>('GET', '/metrics');
    expect(metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const leader0 = cluster.leaderOf('http-events', 0);
    expect(sample(metrics.body, 'kafka_server_brokertopicmetrics_messagesin_total', { broker: leader0, topic: 'http-events' })).toBeGreaterThanOrEqual(12);
    expect(sample(metrics.body, 'kafka_server_brokertopicmetrics_bytesin_total', { broker: leader0, topic: 'http-events' })).toBeGreaterThan(0);
    const out = [1, 2, 3].map((b) => sample(metrics.body, 'kafka_server_brokertopicmetrics_messagesout_total', { broker: b, topic: 'http-events' }) ?? 0);
    expect(out.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(14); // the consumer's fetches
    expect(sample(metrics.body, 'kafka_consumergroup_lag', { group: 'http-readers', topic: 'http-events', partition: 0 })).toBe(2);
    const groupsCoordinated = [1, 2, 3].map((b) => sample(metrics.body, 'kafka_coordinator_group_groupmetadatamanager_numgroups', { broker: b }) ?? 0);
    expect(groupsCoordinated.reduce((a, b) => a + b, 0)).toBe(1);
    expect(sample(metrics.body, 'kafka_server_replicamanager_produceridcount', { broker: leader0 })).toBeGreaterThanOrEqual(1);
    expect(sample(metrics.body, 'kafka_network_requestmetrics_requests_total', { broker: leader0, request: 'Produce' })).toBeGreaterThanOrEqual(1);
    const count = sample(metrics.body, 'kafka_network_requestmetrics_totaltimems_count', { broker: leader0, request: 'Produce' })!;
    expect(sample(metrics.body, 'kafka_network_requestmetrics_totaltimems_bucket', { broker: leader0, request: 'Produce', le: '+Inf' })).toBe(count);
    expect(sample(metrics.body, 'kafka_network_requestmetrics_totaltimems_sum', { broker: leader0, request: 'Produce' })).toBeGreaterThan(0);
    expect([1, 2, 3].map((b) => sample(metrics.body, 'kafka_controller_kafkacontroller_activecontrollercount', { broker: b }))).toEqual([1, 0, 0]);
    expect(sample(metrics.body, 'kafka_controller_kafkacontroller_offlinepartitionscount', {})).toBe(0);
    // Every sample line is `name{labels} number` under a # TYPE line of its family.
    for (const line of metrics.body.trim().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? -?[\d.e+-]+)$/);
  });

  it('crashes a leader over HTTP: the cluster view, events and metrics show the failover, and its return', async () => {
    await cluster.createTopic('http-failover', { partitions: 1 });
    const p = await producer();
    await p.send({ topic: 'http-failover', acks: -1, messages: [{ value: 'before' }] });
    const leader = cluster.leaderOf('http-failover', 0);
    expect(leader).toBeGreaterThan(0);

    const stopped = await call('POST', `/brokers/${leader}/stop`, { crash: true });
    expect(stopped).toMatchObject({ status: 200, body: { broker: leader, running: false, crashed: true } });
    const after = await until('a new leader without the crashed broker in the ISR', async () => {
      const c = (await call('GET', '/cluster')).body;
      const part = partitionOf(c, 'http-failover', 0);
      return part.leader !== leader && part.leader > 0 && !part.isr.includes(leader) && c.brokers.find((b: any) => b.id === leader).fenced ? c : undefined;
    });
    const part = partitionOf(after, 'http-failover', 0);
    expect(part.underReplicated).toBe(true);
    expect(after.brokers.find((b: any) => b.id === leader)).toMatchObject({ running: false, fenced: true });
    expect((await call('GET', '/healthz')).body.running).toBe(2);

    const events = (await call('GET', '/events')).body;
    expect(events.some((e: any) => e.kind === 'fenced' && e.broker === leader)).toBe(true);
    expect(events.some((e: any) => e.kind === 'election' && e.topic === 'http-failover' && e.broker === part.leader)).toBe(true);
    expect(events.some((e: any) => e.kind === 'isr-shrink' && e.topic === 'http-failover')).toBe(true);

    const m = (await call<string>('GET', '/metrics')).body;
    expect(sample(m, 'minikafka_broker_up', { broker: leader })).toBe(0);
    expect(sample(m, 'kafka_server_replicamanager_underreplicatedpartitions', { broker: part.leader })).toBeGreaterThanOrEqual(1);
    expect([1, 2, 3].map((b) => sample(m, 'kafka_server_replicamanager_isrshrinks_total', { broker: b }) ?? 0).reduce((a, b) => a + b)).toBeGreaterThanOrEqual(1);

    expect(await call('POST', `/brokers/${leader}/start`)).toMatchObject({ status: 200, body: { broker: leader, running: true } });
    await until('the restarted broker back in the ISR', async () => {
      const c = (await call('GET', '/cluster')).body;
      return partitionOf(c, 'http-failover', 0).isr.includes(leader) && !c.brokers.find((b: any) => b.id === leader).fenced;
    });
    const back = (await call('GET', '/events')).body;
    expect(back.some((e: any) => e.kind === 'isr-expand' && e.topic === 'http-failover')).toBe(true);
    expect(back.some((e: any) => e.kind === 'unfenced' && e.broker === leader)).toBe(true);
  });

  it('isolates a broker and heals over HTTP', async () => {
    expect((await call('POST', '/brokers/2/isolate')).body).toEqual({ broker: 2, isolated: true });
    expect((await call('GET', '/cluster')).body.brokers.map((b: any) => b.isolated)).toEqual([false, true, false]);
    // Cut off from the controller, broker 2 misses its heartbeats and is fenced.
    await until('broker 2 fenced', async () => (await call('GET', '/cluster')).body.brokers[1].fenced);
    expect((await call('POST', '/heal')).body).toEqual({ healed: true });
    await until('broker 2 back', async () => {
      const b = (await call('GET', '/cluster')).body.brokers[1];
      return !b.isolated && !b.fenced;
    });
  });

  it('serves the status page and answers HEAD', async () => {
    const page = await call<string>('GET', '/');
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.body).toContain('<table id="partitions">');
    expect(page.body).not.toMatch(/<(script|link)[^>]+(src|href)=/); // self-contained
    const head = await new Promise<http.IncomingMessage>((resolve, reject) => http.request(`${base}/healthz`, { method: 'HEAD' }, resolve).on('error', reject).end());
    expect(head.statusCode).toBe(200);
    const status = (await call('GET', '/status')).body;
    expect(Object.keys(status).sort()).toEqual(['cluster', 'events', 'groups', 'producers']);
  });

  it('`minikafka ctl` drives the same API from a shell', async () => {
    const ctl = (args: string[], env: Record<string, string> = {}) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'ctl', ...args], { env: { ...process.env, MINIKAFKA_HTTP: '', ...env } });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('exit', (code) => resolve({ code, out, err }));
      });
    const url = cluster.httpAddress!;
    expect(await ctl(['--url', url, 'leader', 'http-orders', '0'])).toMatchObject({ code: 0, out: `${cluster.leaderOf('http-orders', 0)}\n` });
    expect((await ctl(['isr', 'http-orders', '0'], { MINIKAFKA_HTTP: url })).out.trim()).toBe(cluster.isr('http-orders', 0).join(','));
    const added = await ctl(['--url', url, 'fault', '{"api":"Fetch","clientId":"nobody","action":"disconnect"}']);
    expect(added.code).toBe(0);
    expect(cluster.faults.list().map((f) => String(f.id))).toEqual([added.out.trim()]);
    expect(await ctl(['--url', url, 'unfault', added.out.trim()])).toMatchObject({ code: 0 });
    expect(cluster.faults.list()).toEqual([]);
    const bad = await ctl(['--url', url, 'fault', '{"api":']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/not JSON/);
    expect((await ctl(['healthz'])).code).toBe(2); // no address
    const metrics = await ctl(['--url', `http://${url}/`, 'metrics']);
    expect(metrics.out).toContain('# TYPE kafka_network_requestmetrics_requests_total counter');
  });
});

describe('minikafka --http-port', () => {
  const runCli = (args: string[]) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MINIKAFKA_LOG: 'warn' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { child, out: () => out, err: () => err, exit };
  };

  it('names the control plane in the ready line and serves it until SIGTERM', async () => {
    const proc = runCli(['--port', '0', '--in-memory', '--http-port', '0']);
    const line = await until('the ready line', async () => proc.out().split('\n').find((l) => l.startsWith('minikafka ready')) ?? (proc.child.exitCode !== null ? 'exited' : undefined));
    expect(line).toMatch(/^minikafka ready bootstrap=127\.0\.0\.1:\d+ http=127\.0\.0\.1:\d+$/);
    const address = line.split(' http=')[1]!;
    expect(await (await fetch(`http://${address}/healthz`)).json()).toEqual({ status: 'ok', brokers: 1, running: 1 });
    proc.child.kill('SIGTERM');
    expect(await proc.exit).toBe(0);
  });

  it('refuses a taken or invalid port with exit 2, naming --http-port', async () => {
    const held = http.createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
    try {
      const port = (held.address() as { port: number }).port;
      const taken = runCli(['--port', '0', '--in-memory', '--http-port', String(port)]);
      expect(await taken.exit).toBe(2);
      expect(taken.err()).toContain(`port ${port} is already in use`);
      expect(taken.err()).toContain('--http-port');
    } finally {
      await new Promise((r) => held.close(r));
    }
    const bad = runCli(['--port', '0', '--in-memory', '--http-port', 'eighty']);
    expect(await bad.exit).toBe(2);
    expect(bad.err()).toContain("invalid --http-port 'eighty'");
  });
});

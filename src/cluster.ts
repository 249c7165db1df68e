// startCluster(): minikafka as a library, for integration tests and embedding. A controller
// and N brokers (ids 1..N, or the ids given), in this process or one child process per broker, with the
// failure controls tests need: crash or stop a broker, restart it on its data, cut a broker's
// replication and controller traffic (isolate/heal), inject faults on the wire.
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from './logger.js';
import { Controller } from './replication/Controller.js';
import { Broker } from './server/Broker.js';
import { FaultInjector, type FaultRule } from './network/FaultInjector.js';
import type { Properties } from './common/KafkaConfig.js';
import type { BrokerProcessCommand, BrokerProcessEvent, BrokerProcessOptions } from './brokerProcess.js';
import { snapshotBroker, type BrokerSnapshot } from './http/BrokerSnapshot.js';
import { startHttpServer, type HttpControlServer } from './http/HttpServer.js';
import { aclEntryOf, type AclBinding } from './security/Acl.js';
import { devTlsConfig } from './security/DevCertificates.js';

export interface ClusterOptions {
  /** Number of brokers (ids 1..N). Default 1, or as many as nodeIds. */
  brokers?: number;
  /**
   * The brokers' node ids, e.g. [0, 1, 2] as Kafka's own setups number them. Default 1..N; a
   * single broker takes `node.id` (or `broker.id`) from config when given.
   */
  nodeIds?: number[];
  /** Port of the controller listener (brokers register there); 0 (the default) picks a free one. */
  controllerPort?: number;
  /** Port of broker 1 (then P+1, P+2, …) or one port per broker; 0 (the default) picks free ones. */
  port?: number | number[];
  host?: string;
  /** Host given to clients in Metadata (default: host). */
  advertisedHost?: string;
  /** Data directory. Without one (and without inMemory) a fresh temp dir is used and removed on close. */
  dataDir?: string;
  inMemory?: boolean;
  /** Broker properties under Kafka's names, e.g. { 'num.partitions': 3 }. */
  config?: Properties;
  /** Run each broker in its own child process (so a test can kill -9 it). */
  processPerBroker?: boolean;
  /** Serve the HTTP control plane and status page on this port of `host` (0 = a free one); off when absent. */
  httpPort?: number;
  /**
   * Kafka's `listeners` for every broker, e.g. 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0'
   * (same as config.listeners). A non-zero port is broker 1's; broker i adds i-1 to it. Port 0
   * picks a free port (kept across restarts). Without it: one PLAINTEXT listener on host:port.
   */
  listeners?: string;
  /**
   * Generate a throwaway CA and broker certificate (the openssl CLI) in `<dataDir>/tls-dev` and
   * use them as ssl.keystore/ssl.truststore; adds an SSL listener on a free port when no listener
   * uses TLS. `cluster.tlsDev` names the files.
   */
  tlsDev?: boolean;
}

export interface TlsDevFiles {
  dir: string;
  /** The CA certificate (PEM): a client's truststore (kafkajs `ssl: { ca: [fs.readFileSync(caFile)] }`). */
  caFile: string;
  caKeyFile: string;
  /** The broker's key and certificate (PEM). */
  keystoreFile: string;
}

export interface CreateTopicOptions {
  partitions?: number;
  replicationFactor?: number;
  config?: Properties;
}

export interface StopOptions {
  /** Cut sockets at once and flush nothing (in process-per-broker mode: SIGKILL). */
  crash?: boolean;
}

export interface Cluster {
  /** host:port of every broker (its first listener), for a client's bootstrap list. */
  readonly bootstrapServers: string[];
  /** host:port of every broker on one listener (by name, e.g. 'SASL_SSL'). */
  bootstrapFor(listener: string): string[];
  /** The brokers' listener names, in `listeners` order (['PLAINTEXT'] without `listeners`). */
  readonly listenerNames: string[];
  /** The --tls-dev files (startCluster({ tlsDev: true })), null otherwise. */
  readonly tlsDev: TlsDevFiles | null;
  /** The in-process brokers (empty in process-per-broker mode); stopped ones included. */
  readonly brokers: Broker[];
  readonly controller: Controller;
  readonly dataDir: string | null;
  /** host:port of the HTTP control plane (startCluster({ httpPort })), null when off. */
  readonly httpAddress: string | null;
  /** Fault injection on the wire: add(rule) → id, remove(id), clear(). */
  readonly faults: Pick<FaultInjector, 'add' | 'remove' | 'clear' | 'list'>;
  createTopic(name: string, opts?: CreateTopicOptions): Promise<void>;
  /** Commit ACLs (enforced with `authorizer.class.name` set); resolves once the in-process brokers have them. */
  createAcls(acls: AclBinding[]): Promise<void>;
  stopBroker(id: number, opts?: StopOptions): Promise<void>;
  startBroker(id: number): Promise<void>;
  /** Process id of a broker's child process (process-per-broker mode). */
  pidOf(id: number): number | undefined;
  /** Current leader of a partition as the controller sees it (-1 when offline). */
  leaderOf(topic: string, partition: number): number;
  isr(topic: string, partition: number): number[];
  /** Cut replication and controller traffic to and from a broker; clients still reach it. */
  isolate(id: number): void;
  heal(): void;
  /** Wait until every partition of a topic has a live leader and a full ISR. */
  waitForReplication(topic: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

interface BrokerSlot {
  id: number;
  port: number;
  running: boolean;
  /** Bound port of each listener (by name) once started: a restart binds the same. */
  listenerPorts?: Map<string, number>;
  broker?: Broker;
  child?: ChildProcess;
  /** Snapshot requests to the child waiting for its answer, by request id. */
  describing?: Map<number, (s: BrokerSnapshot | null) => void>;
}

function brokerProcessEntry(): string {
  const here = fileURLToPath(import.meta.url);
  // Under vitest this module is TypeScript in src/; the child runs the bundled build. Bundled,
  // this module is a chunk beside dist/bundle/brokerProcess.js (dist/src/ has one beside it too).
  if (here.endsWith('.ts')) return path.resolve(path.dirname(here), '..', 'dist', 'bundle', 'brokerProcess.js');
  return path.join(path.dirname(here), 'brokerProcess.js');
}

/** The node ids of the brokers: nodeIds, or node.id/broker.id of a single broker, or 1..N. */
function resolveNodeIds(opts: ClusterOptions): number[] {
  const config = opts.config ?? {};
  const configured = config['node.id'] ?? config['broker.id'];
  if (opts.nodeIds !== undefined) {
    const ids = opts.nodeIds;
    if (ids.length === 0 || ids.some((id) => !Number.isInteger(id) || id < 0)) throw new Error(`nodeIds must be non-negative integers, got [${ids.join(',')}]`);
    if (new Set(ids).size !== ids.length) throw new Error(`nodeIds must be distinct, got [${ids.join(',')}]`);
    if (opts.brokers !== undefined && opts.brokers !== ids.length) throw new Error(`${opts.brokers} brokers but ${ids.length} nodeIds`);
    if (configured !== undefined) throw new Error('give broker ids either as nodeIds or as config node.id, not both');
    return [...ids];
  }
  const count = opts.brokers ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new Error(`brokers must be a positive integer, got ${opts.brokers}`);
  if (configured !== undefined) {
    if (count > 1) throw new Error(`config node.id names one broker; give ${count} brokers their ids with nodeIds (--node-ids)`);
    const id = Number(configured);
    if (!Number.isInteger(id) || id < 0) throw new Error(`node.id must be a non-negative integer, got ${String(configured)}`);
    return [id];
  }
  return Array.from({ length: count }, (_, i) => i + 1);
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const nodeIds = resolveNodeIds(opts);
  const count = nodeIds.length;
  const host = opts.host ?? '127.0.0.1';
  const first = typeof opts.port === 'number' ? opts.port : 0;
  const ports = Array.isArray(opts.port) ? opts.port : Array.from({ length: count }, (_, i) => (first ? first + i : 0));
  if (ports.length !== count) throw new Error(`${count} brokers need ${count} ports, got ${ports.length}`);
  const log = createLogger('cluster');
  const ownsDir = !opts.inMemory && opts.dataDir === undefined;
  const dataDir = opts.inMemory ? null : (opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-')));
  const baseConfig: Properties = { 'default.replication.factor': Math.min(3, count), ...(opts.config ?? {}) };
  if (opts.listeners !== undefined) baseConfig['listeners'] = opts.listeners;
  let tlsDev: TlsDevFiles | null = null;
  if (opts.tlsDev) {
    const dir = dataDir ? path.join(dataDir, 'tls-dev') : fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-tls-'));
    const dev = devTlsConfig(dir, [host, ...(opts.advertisedHost ? [opts.advertisedHost] : [])]);
    for (const [k, v] of Object.entries(dev.config)) if (baseConfig[k] === undefined) baseConfig[k] = v;
    tlsDev = { dir, caFile: dev.ca.caCertFile, caKeyFile: dev.ca.caKeyFile, keystoreFile: dev.broker.keystoreFile };
    const current = String(baseConfig['listeners'] ?? '');
    if (!/SSL:\/\//i.test(current)) {
      const first = typeof opts.port === 'number' ? opts.port : 0;
      baseConfig['listeners'] = current ? `${current},SSL://${host}:0` : `PLAINTEXT://${host}:${first},SSL://${host}:0`;
    }
    log.info(`--tls-dev: CA ${tlsDev.caFile}, broker keystore ${tlsDev.keystoreFile}`);
  }
  const listenerTemplate = baseConfig['listeners'] === undefined ? null : String(baseConfig['listeners']);
  delete baseConfig['node.id']; // each broker gets its own below
  delete baseConfig['broker.id'];
  const faults = new FaultInjector(createLogger('faults'));
  const isolated = new Set<number>();
  const processMode = opts.processPerBroker ?? false;

  const controller = new Controller({ host, port: opts.controllerPort ?? 0, dataDir: dataDir && path.join(dataDir, 'controller'), config: baseConfig });
  await controller.start();
  const controllerAddress = `${host}:${controller.port}`;
  const slots: BrokerSlot[] = ports.map((port, i) => ({ id: nodeIds[i]!, port, running: false }));
  const brokers: Broker[] = [];

  const brokerOptions = (slot: BrokerSlot): BrokerProcessOptions => ({
    host,
    port: slot.port,
    advertisedHost: opts.advertisedHost,
    dataDir: dataDir ? path.join(dataDir, `broker-${slot.id}`) : undefined,
    inMemory: opts.inMemory ?? false,
    config: { ...baseConfig, 'node.id': slot.id, ...(listenerTemplate !== null ? { listeners: slotListeners(listenerTemplate, slot) } : {}) },
    controller: controllerAddress,
  });

  /** A broker's `listeners`: fixed ports shifted by its index, free ones as first bound. */
  function slotListeners(template: string, slot: BrokerSlot): string {
    const index = slots.indexOf(slot);
    return template
      .split(',')
      .map((entry) =>
        entry.trim().replace(/^([A-Za-z0-9_-]+)(:\/\/.*:)(\d+)$/, (_all, name: string, middle: string, port: string) => {
          const p = Number(port);
          return `${name}${middle}${p > 0 ? p + index : (slot.listenerPorts?.get(name.toUpperCase()) ?? 0)}`;
        }),
      )
      .join(',');
  }

  const send = (slot: BrokerSlot, cmd: BrokerProcessCommand) => {
    if (slot.child?.connected) slot.child.send(cmd);
  };

  async function startSlot(slot: BrokerSlot): Promise<void> {
    if (slot.running) return;
    if (!processMode) {
      const broker = new Broker({ ...brokerOptions(slot), faults, canReach: (to) => !isolated.has(slot.id) && !isolated.has(to) });
      try {
        await broker.start();
      } catch (err) {
        await broker.stop({ crash: true }).catch(() => {}); // whatever it had opened before failing
        throw err;
      }
      slot.port = broker.port;
      slot.listenerPorts = new Map(broker.listeners.map((l) => [l.name, l.port]));
      slot.broker = broker;
      const at = brokers.findIndex((b) => b.nodeId === slot.id);
      if (at >= 0) brokers[at] = broker;
      else brokers.push(broker);
      slot.running = true;
      return;
    }
    const child = fork(brokerProcessEntry(), [JSON.stringify(brokerOptions(slot))], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    slot.child = child;
    slot.port = await new Promise<number>((resolve, reject) => {
      child.on('message', (m: BrokerProcessEvent) => {
        if (m.type === 'ready') {
          if (m.listeners) slot.listenerPorts = new Map(m.listeners.map((l) => [l.name, l.port]));
          resolve(m.port);
        }
        if (m.type === 'failed') reject(Object.assign(new Error(`broker ${slot.id} failed to start: ${m.message}`), { code: m.code, port: m.port }));
      });
      child.once('exit', (code, signal) => reject(new Error(`broker ${slot.id} exited during start (${code ?? signal})`)));
    });
    const describing = new Map<number, (s: BrokerSnapshot | null) => void>();
    slot.describing = describing;
    child.on('message', (m: BrokerProcessEvent) => {
      if (m.type === 'described') describing.get(m.requestId)?.(m.snapshot);
    });
    child.on('exit', () => {
      slot.running = false;
      for (const done of describing.values()) done(null);
    });
    slot.running = true;
    for (const f of faults.list()) send(slot, { type: 'fault-add', id: f.id, rule: f.rule });
    send(slot, { type: 'isolated', ids: [...isolated] });
  }

  async function stopSlot(slot: BrokerSlot, stopOpts: StopOptions = {}): Promise<void> {
    if (!slot.running) return;
    slot.running = false;
    if (slot.broker) {
      await slot.broker.stop({ crash: stopOpts.crash });
      return;
    }
    const child = slot.child!;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (stopOpts.crash) child.kill('SIGKILL');
    else send(slot, { type: 'stop' });
    await exited;
  }

  const started = await Promise.allSettled(slots.map(startSlot));
  let failure: unknown = started.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
  // In process, whatever broker a test asks first lists every broker (each has read the others' unfencing).
  if (failure === undefined && !processMode) {
    const seen = brokers.map((b) => b.waitFor(() => slots.every((s) => b.image.isLive(s.id)), 30_000, 'every broker of the cluster live'));
    failure = (await Promise.allSettled(seen)).find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
  }
  if (failure !== undefined) {
    // Leave nothing behind: the brokers that did start, the controller, a temp dir.
    await Promise.allSettled(slots.map((s) => stopSlot(s)));
    await controller.stop().catch(() => {});
    if (ownsDir && dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    throw failure;
  }
  log.info(`cluster of ${count} broker(s) ready: ${slots.map((s) => `${host}:${s.port}`).join(',')}`);
  let http: HttpControlServer | null = null;

  const slotOf = (id: number): BrokerSlot => {
    const s = slots.find((x) => x.id === id);
    if (!s) throw new Error(`no broker ${id}`);
    return s;
  };
  const partitionState = (topic: string, partition: number) => controller.image.topics.get(topic)?.partitions[partition];
  const propagateIsolation = () => {
    for (const s of slots) send(s, { type: 'isolated', ids: [...isolated] });
  };
  let closed = false;

  const cluster: Cluster = {
    get bootstrapServers() {
      return slots.map((s) => `${opts.advertisedHost ?? host}:${s.port}`);
    },
    bootstrapFor(listener: string) {
      const name = listener.toUpperCase();
      return slots.map((s) => {
        const port = s.listenerPorts?.get(name) ?? (listenerTemplate === null && name === 'PLAINTEXT' ? s.port : undefined);
        if (port === undefined) throw new Error(`broker ${s.id} has no listener ${name}`);
        return `${opts.advertisedHost ?? host}:${port}`;
      });
    },
    listenerNames:
      listenerTemplate === null
        ? ['PLAINTEXT']
        : listenerTemplate
            .split(',')
            .map((e) => /^\s*([A-Za-z0-9_-]+):\/\//.exec(e)?.[1]?.toUpperCase())
            .filter((n): n is string => n !== undefined),
    tlsDev,
    brokers,
    controller,
    dataDir,
    get httpAddress() {
      return http?.address ?? null;
    },
    faults: {
      add(rule: FaultRule) {
        const id = faults.add(rule);
        for (const s of slots) send(s, { type: 'fault-add', id, rule });
        return id;
      },
      remove(id: number) {
        for (const s of slots) send(s, { type: 'fault-remove', id });
        return faults.remove(id);
      },
      clear() {
        for (const s of slots) send(s, { type: 'fault-clear' });
        faults.clear();
      },
      list: () => faults.list(),
    },
    async createTopic(name, topicOpts = {}) {
      const configs = Object.entries(topicOpts.config ?? {}).map(([k, v]) => ({ name: k, value: String(v) }));
      controller.createTopic(
        name,
        topicOpts.partitions ?? -1,
        topicOpts.replicationFactor ?? -1,
        [],
        Object.fromEntries(configs.map((c) => [c.name, c.value])),
        false,
      );
      await cluster.waitForReplication(name, 10_000).catch(() => {});
    },
    async createAcls(acls) {
      const results = controller.createAcls(acls.map(aclEntryOf));
      const failed = results.map((r, i) => (r.errorCode === 0 ? null : `${JSON.stringify(acls[i])}: ${r.errorMessage}`)).filter((m) => m !== null);
      if (failed.length > 0) throw new Error(`invalid ACLs: ${failed.join('; ')}`);
      const deadline = Date.now() + 10_000;
      while (slots.some((s) => s.running && s.broker && s.broker.image.offset < controller.logEndOffset)) {
        if (Date.now() > deadline) throw new Error('brokers did not catch up with the new ACLs');
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    stopBroker: (id, stopOpts) => stopSlot(slotOf(id), stopOpts),
    startBroker: (id) => startSlot(slotOf(id)),
    pidOf: (id) => slotOf(id).child?.pid,
    leaderOf: (topic, partition) => partitionState(topic, partition)?.leader ?? -1,
    isr: (topic, partition) => [...(partitionState(topic, partition)?.isr ?? [])],
    isolate(id) {
      isolated.add(id);
      propagateIsolation();
      log.info(`isolated broker ${id}`);
    },
    heal() {
      isolated.clear();
      propagateIsolation();
      log.info('healed all isolations');
    },
    async waitForReplication(topic, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const t = controller.image.topics.get(topic);
        const ready =
          t !== undefined &&
          t.partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length) &&
          slots.every((s) => !s.running || !s.broker || s.broker.image.offset >= controller.logEndOffset);
        if (ready) return;
        if (Date.now() > deadline) throw new Error(`topic ${topic} not fully replicated after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await http?.close();
      await Promise.all(slots.map((s) => stopSlot(s)));
      await controller.stop();
      if (ownsDir && dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      if (tlsDev && !dataDir) fs.rmSync(tlsDev.dir, { recursive: true, force: true });
    },
  };
  if (opts.httpPort !== undefined) {
    let nextRequest = 1;
    /** A running broker's own state: in process directly, else asked over IPC (null if it does not answer in 2 s). */
    const describe = (slot: BrokerSlot): Promise<BrokerSnapshot | null> => {
      if (!slot.running) return Promise.resolve(null);
      if (slot.broker) return Promise.resolve(snapshotBroker(slot.broker));
      const requestId = nextRequest++;
      const describing = slot.describing!;
      return new Promise((resolve) => {
        const timer = setTimeout(() => done(null), 2000);
        const done = (s: BrokerSnapshot | null) => {
          clearTimeout(timer);
          describing.delete(requestId);
          resolve(s);
        };
        describing.set(requestId, done);
        send(slot, { type: 'describe', requestId });
      });
    };
    try {
      http = await startHttpServer({
        host,
        port: opts.httpPort,
        log: createLogger('http'),
        control: {
          controller,
          faults: cluster.faults,
          processPerBroker: processMode,
          brokers: () => slots.map((s) => ({ id: s.id, host, port: s.port, running: s.running, ...(s.child?.pid !== undefined ? { pid: s.child.pid } : {}) })),
          snapshots: async () => (await Promise.all(slots.map(describe))).filter((s): s is BrokerSnapshot => s !== null),
          stopBroker: cluster.stopBroker,
          startBroker: cluster.startBroker,
          isolate: cluster.isolate,
          heal: cluster.heal,
          isolated: () => [...isolated],
        },
      });
    } catch (err) {
      await cluster.close();
      throw err;
    }
  }
  return cluster;
}

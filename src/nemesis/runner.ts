// runNemesis(): one seeded fault campaign over a fresh cluster. Producers and a committing
// group run while the schedule's faults are applied at their times; then every fault is
// healed, the clients settle, every partition is read back to its high watermark, replicas are
// compared on disk, and the history is checked. Prints the seed first and a table at the end.
import path from 'node:path';
import { startCluster, type Cluster } from '../cluster.js';
import { createLogger } from '../logger.js';
import { checkHistory } from './checker.js';
import { HistoryRecorder, type History, type ReplicaDivergence, type StoredRecord } from './history.js';
import { randomSeed } from './prng.js';
import { compareReplicas } from './replicas.js';
import { formatReport, writeJsonReport, type AppliedEvent, type NemesisReport, type PartitionState } from './report.js';
import { generateSchedule, scheduleEvents, type FaultWindow } from './schedule.js';
import { WireClient } from './wire.js';
import { CommitterDriver, ProducerDriver, type Driver, type DriverContext } from './workload.js';

export interface NemesisOptions {
  /** The schedule's seed (default: from the clock; printed either way). */
  seed?: number;
  /** How long faults are applied (default 60 s); healing and checking come after. */
  durationMs?: number;
  brokers?: number;
  acks?: 'all' | 1;
  processPerBroker?: boolean;
  partitions?: number;
  /** Our own idempotent producers (default 2) and their rate each (records/s, default 400). */
  producers?: number;
  ratePerProducer?: number;
  /** The built-in committing group (default true). */
  committer?: boolean;
  /** More workload clients through the same nemesis and checker (the test suite's kafkajs ones). */
  drivers?: (ctx: DriverContext) => Driver[];
  /** Where to write the JSON report, `{seed}` replaced by the seed (none by default). */
  json?: string | null;
  /** How long every replica gets to be back in the ISR once all faults are healed (default 60 s). */
  healTimeoutMs?: number;
  /** Keep the cluster's logs here (default: a temporary directory, removed afterwards). */
  dataDir?: string;
  /** Where lines go (default stdout). */
  print?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TOPIC = 'nemesis';
const HEAL_TIMEOUT_MS = 60_000;

export async function runNemesis(opts: NemesisOptions = {}): Promise<NemesisReport> {
  const seed = opts.seed ?? randomSeed();
  const durationMs = opts.durationMs ?? 60_000;
  const brokers = opts.brokers ?? 3;
  const acks = opts.acks ?? 'all';
  const processPerBroker = opts.processPerBroker ?? false;
  const partitions = opts.partitions ?? 6;
  const healTimeoutMs = opts.healTimeoutMs ?? HEAL_TIMEOUT_MS;
  const print = opts.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const log = createLogger('nemesis');
  print(`nemesis seed=${seed} duration=${durationMs}ms brokers=${brokers} acks=${acks}${processPerBroker ? ' process-per-broker' : ''}`);
  const schedule = generateSchedule({ seed, durationMs, brokers });
  const started = Date.now();

  const cluster = await startCluster({
    brokers,
    processPerBroker,
    dataDir: opts.dataDir,
    config: {
      'broker.session.timeout.ms': 2000,
      'broker.heartbeat.interval.ms': 200,
      'replica.lag.time.max.ms': 4000,
      'offsets.topic.num.partitions': 3,
      'offsets.topic.replication.factor': Math.min(3, brokers),
      'group.initial.rebalance.delay.ms': 0,
      'auto.create.topics.enable': false,
    },
  });
  try {
    await cluster.createTopic(TOPIC, { partitions, replicationFactor: Math.min(3, brokers), config: { 'min.insync.replicas': brokers >= 3 ? 2 : 1 } });
    await cluster.waitForReplication(TOPIC, 30_000);
    const recorder = new HistoryRecorder();
    const ctx: DriverContext = { bootstrap: cluster.bootstrapServers, topic: TOPIC, partitions, acks, recorder };
    const producers: Driver[] = Array.from({ length: opts.producers ?? 2 }, (_, i) => new ProducerDriver(`mk-producer-${i}`, ctx, opts.ratePerProducer ?? 400));
    const consumers: Driver[] = opts.committer === false ? [] : [new CommitterDriver('mk-committer', ctx)];
    const extra = opts.drivers?.(ctx) ?? [];
    const all = [...producers, ...consumers, ...extra];
    for (const d of all) d.start();

    const events = await applySchedule(cluster, schedule, processPerBroker, log);
    await healAll(cluster, schedule, processPerBroker, log);
    const healStart = Date.now();
    let healMs: number | null = null;
    await cluster.waitForReplication(TOPIC, healTimeoutMs).then(
      () => (healMs = Date.now() - healStart),
      (e: Error) => log.warn(e.message),
    );
    // Producers settle first (every send acknowledged or failed), then the groups catch up.
    await Promise.all([...producers, ...extra.filter((d) => !isConsumer(d))].map((d) => d.stop()));
    await sleep(2000);
    await Promise.all([...consumers, ...extra.filter(isConsumer)].map((d) => d.stop()));
    await cluster.waitForReplication(TOPIC, healMs === null ? 5000 : healTimeoutMs).catch((e: Error) => log.warn(e.message));

    const { stored, divergences, notHealed, comparedBatches, partitionStates } = await readBack(cluster, partitions, healTimeoutMs);
    const history: History = {
      topic: TOPIC,
      partitions,
      acks,
      sends: recorder.sends,
      commits: recorder.commits,
      consumed: recorder.consumed,
      stored,
      replicaDivergences: divergences,
      notHealed,
    };
    const check = checkHistory(history);
    const report: NemesisReport = {
      seed,
      durationMs,
      brokers,
      acks,
      processPerBroker,
      schedule,
      events,
      check,
      replicaBatchesCompared: comparedBatches,
      healMs,
      partitionStates,
      elapsedMs: Date.now() - started,
      ok: check.violations.length === 0,
    };
    print(formatReport(report));
    if (opts.json) {
      const file = opts.json.replaceAll('{seed}', String(seed));
      writeJsonReport(file, report);
      print(`  report: ${path.resolve(file)}`);
    }
    return report;
  } finally {
    await cluster.close();
  }
}

function isConsumer(d: Driver): boolean {
  return d.kind === 'consumer';
}

async function applySchedule(cluster: Cluster, schedule: FaultWindow[], processPerBroker: boolean, log: ReturnType<typeof createLogger>): Promise<AppliedEvent[]> {
  const t0 = Date.now();
  const applied: AppliedEvent[] = [];
  const ruleIds = new Map<number, number>();
  const isolated = new Set<number>();
  for (const ev of scheduleEvents(schedule)) {
    const wait = ev.at - (Date.now() - t0);
    if (wait > 0) await sleep(wait);
    const f = ev.fault;
    const record = (outcome: AppliedEvent['outcome'], note?: string) => applied.push({ at: Date.now() - t0, action: ev.action, fault: f, outcome, ...(note ? { note } : {}) });
    try {
      const begin = ev.action === 'begin';
      switch (f.kind) {
        case 'crash':
        case 'stop':
          if (begin) await cluster.stopBroker(f.broker, { crash: f.kind === 'crash' });
          else await cluster.startBroker(f.broker);
          break;
        case 'isolate':
          if (begin) {
            isolated.add(f.broker);
            cluster.isolate(f.broker);
          } else {
            isolated.delete(f.broker);
            cluster.heal();
            for (const b of isolated) cluster.isolate(b);
          }
          break;
        case 'pause': {
          const pid = processPerBroker ? cluster.pidOf(f.broker) : undefined;
          if (pid === undefined) {
            record('skipped', processPerBroker ? 'no process' : 'pause needs --process-per-broker');
            continue;
          }
          process.kill(pid, begin ? 'SIGSTOP' : 'SIGCONT');
          break;
        }
        case 'drop':
        case 'delay':
          if (begin) {
            const rule =
              f.kind === 'drop'
                ? { api: f.api!, broker: f.broker, action: 'drop-response' as const, times: f.times ?? 1 }
                : { api: f.api!, broker: f.broker, action: 'delay-response' as const, ms: f.ms ?? 100, times: Infinity };
            ruleIds.set(f.id, cluster.faults.add(rule));
          } else {
            const id = ruleIds.get(f.id);
            if (id !== undefined) cluster.faults.remove(id);
          }
          break;
      }
      record('applied');
      log.info(`${ev.action} ${f.kind} broker ${f.broker}${f.api ? ` ${f.api}` : ''} (fault #${f.id})`);
    } catch (err) {
      record('failed', (err as Error).message);
      log.warn(`could not ${ev.action} ${f.kind} on broker ${f.broker}: ${(err as Error).message}`);
    }
  }
  return applied;
}

/** Undo everything: wire faults, isolations, paused processes, stopped brokers. */
async function healAll(cluster: Cluster, schedule: FaultWindow[], processPerBroker: boolean, log: ReturnType<typeof createLogger>): Promise<void> {
  cluster.faults.clear();
  cluster.heal();
  const ids = [...new Set(schedule.map((w) => w.broker))];
  for (const id of ids) {
    const pid = processPerBroker ? cluster.pidOf(id) : undefined;
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    await cluster.startBroker(id).catch((e: Error) => log.warn(`restart of broker ${id} failed: ${e.message}`));
  }
}

/**
 * Every partition read back over the wire to its high watermark, and its replicas compared on
 * disk below it: in-sync replicas must match the leader (replica-divergence); a replica still
 * out of the ISR after healing is reported as not healed, with how its log differs.
 */
async function readBack(cluster: Cluster, partitions: number, healTimeoutMs: number) {
  const client = new WireClient(cluster.bootstrapServers, 'nemesis-reader', 5000);
  const stored = new Map<number, StoredRecord[]>();
  const divergences: ReplicaDivergence[] = [];
  const notHealed: ReplicaDivergence[] = [];
  const partitionStates: PartitionState[] = [];
  let comparedBatches = 0;
  try {
    for (let p = 0; p < partitions; p++) {
      const { records, highWatermark } = await client.readPartition(TOPIC, p, 60_000);
      stored.set(p, records);
      const replicas = [...(cluster.controller.image.topics.get(TOPIC)?.partitions[p]?.replicas ?? [])];
      const leader = cluster.leaderOf(TOPIC, p);
      const isr = cluster.isr(TOPIC, p);
      partitionStates.push({ partition: p, leader, replicas, isr, highWatermark });
      if (!cluster.dataDir || leader < 0) continue;
      for (const r of replicas) {
        if (r === leader) continue;
        const c = compareReplicas(cluster.dataDir, TOPIC, p, [leader, r], highWatermark);
        comparedBatches += c.comparedBatches;
        const own = c.divergences.filter((d) => d.broker === r);
        if (r === replicas.find((x) => x !== leader)) divergences.push(...c.divergences.filter((d) => d.broker === leader)); // the leader's own log, once
        if (isr.includes(r)) divergences.push(...own);
        else {
          const how = own.map((d) => d.detail).join('; ') || 'its log matches below the high watermark';
          notHealed.push({ partition: p, broker: r, detail: `not back in the ISR ${healTimeoutMs / 1000} s after healing (leader ${leader}, ISR [${isr}]): ${how}` });
        }
      }
    }
  } finally {
    client.close();
  }
  return { stored, divergences, notHealed, comparedBatches, partitionStates };
}

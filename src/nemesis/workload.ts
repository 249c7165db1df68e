// The nemesis' workload: idempotent producers (our own Producer) sending unique payloads
// `${client}:${seq}` as fast as a bounded window allows, and a built-in committer that reads
// every partition over the wire and commits its position through the Kafka protocol as a
// standalone group member (like a Java consumer using assign() and commitSync()). After any
// error it resumes from the committed offsets, as a restarted consumer would, and it reads its
// committed offsets back now and then: both feed the checker's commit checks.
import { createLogger } from '../logger.js';
import { Producer } from '../producer/Producer.js';
import type { HistoryRecorder } from './history.js';
import { WireClient } from './wire.js';

export interface DriverContext {
  bootstrap: string[];
  topic: string;
  partitions: number;
  acks: 'all' | 1;
  recorder: HistoryRecorder;
}

/** A workload client the runner starts before the faults and stops after healing. */
export interface Driver {
  readonly name: string;
  /** Consumers are stopped after the producers have settled (default: producer). */
  readonly kind?: 'producer' | 'consumer';
  start(): void;
  /** Stop sending new work; resolve once every outstanding operation has settled. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ProducerDriver implements Driver {
  private readonly producer: Producer;
  private stopped = false;
  private outstanding = 0;
  private loop: Promise<void> | null = null;
  private seq = 0;
  private drained: (() => void) | null = null;

  constructor(
    readonly name: string,
    private readonly ctx: DriverContext,
    private readonly perSecond = 400,
    private readonly window = 500,
  ) {
    const idempotent = ctx.acks === 'all';
    this.producer = new Producer({
      bootstrapServers: ctx.bootstrap,
      clientId: name,
      acks: ctx.acks,
      // Kafka refuses idempotence below acks=all; one request in flight then keeps the order.
      enableIdempotence: idempotent,
      maxInFlightRequestsPerConnection: idempotent ? 5 : 1,
      lingerMs: 5,
      retryBackoffMs: 50,
      retryBackoffMaxMs: 500,
      requestTimeoutMs: 4000,
      deliveryTimeoutMs: 45_000,
      maxBlockMs: 45_000,
      metadataMaxAgeMs: 2000,
    });
  }

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const tick = 20;
    const perTick = Math.max(1, Math.round((this.perSecond * tick) / 1000));
    while (!this.stopped) {
      for (let i = 0; i < perTick && this.outstanding < this.window && !this.stopped; i++) this.sendOne();
      await sleep(tick);
    }
  }

  private sendOne(): void {
    const seq = this.seq++;
    const outcome = this.ctx.recorder.send(this.name, 'minikafka', seq);
    this.outstanding++;
    this.producer.send({ topic: this.ctx.topic, key: `k${seq % 64}`, value: outcome.value }, (err, meta) => {
      if (err || !meta) {
        outcome.status = 'failed';
        outcome.error = err?.message ?? 'no metadata';
      } else {
        outcome.status = 'acked';
        outcome.partition = meta.partition;
        outcome.offset = meta.offset;
      }
      this.outstanding--;
      if (this.outstanding === 0) this.drained?.();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    if (this.outstanding > 0) await new Promise<void>((r) => (this.drained = r));
    await this.producer.close({ timeoutMs: 5000 });
  }
}

export class CommitterDriver implements Driver {
  readonly kind = 'consumer';
  private readonly client: WireClient;
  private readonly log = createLogger('nemesis-committer');
  private stopped = false;
  private loop: Promise<void> | null = null;
  private readonly position = new Map<number, number>();
  private coordinator = -1;

  constructor(
    readonly name: string,
    private readonly ctx: DriverContext,
  ) {
    this.client = new WireClient(ctx.bootstrap, name, 4000);
  }

  private get all(): number[] {
    return Array.from({ length: this.ctx.partitions }, (_, i) => i);
  }

  start(): void {
    this.loop = this.run();
  }

  /** Read the committed offsets back (an observation for the checker); they become the positions when `resume`. */
  private async readCommitted(resume: boolean): Promise<void> {
    this.coordinator = await this.client.findCoordinator(this.name);
    const committed = await this.client.committed(this.coordinator, this.name, this.ctx.topic, this.all);
    for (const [p, o] of committed) {
      this.ctx.recorder.commit(this.name, p, o, 'observed');
      if (resume) this.position.set(p, Math.max(o, 0));
    }
  }

  private async run(): Promise<void> {
    let needResume = true;
    let round = 0;
    while (!this.stopped) {
      try {
        if (needResume) {
          await this.readCommitted(true);
          needResume = false;
        }
        const leaders = await this.client.leaders(this.ctx.topic);
        const toCommit = new Map<number, number>();
        for (const p of this.all) {
          const leader = leaders.get(p) ?? -1;
          if (leader < 0) continue;
          const from = this.position.get(p) ?? 0;
          const r = await this.client.fetch(leader, this.ctx.topic, p, from, 256 * 1024);
          if (r.errorCode !== 0) continue;
          for (const rec of r.records) this.ctx.recorder.consume(this.name, p, rec.offset, rec.value);
          if (r.nextOffset > from) {
            this.position.set(p, r.nextOffset);
            toCommit.set(p, r.nextOffset);
          }
        }
        if (toCommit.size > 0) {
          const errors = await this.client.commit(this.coordinator, this.name, this.ctx.topic, toCommit);
          for (const [p, code] of errors) {
            if (code === 0) this.ctx.recorder.commit(this.name, p, toCommit.get(p)!, 'acked');
            else needResume = true;
          }
        }
        if (++round % 10 === 0) await this.readCommitted(false);
      } catch (err) {
        this.log.debug(`committer: ${(err as Error).message}; resuming from the committed offsets`);
        needResume = true;
        await sleep(200);
      }
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    // A last observation of the committed offsets, once the cluster is healed.
    for (let i = 0; i < 50; i++) {
      try {
        await this.readCommitted(false);
        break;
      } catch {
        await sleep(200);
      }
    }
    this.client.close();
  }
}

// The nemesis with kafkajs clients: idempotent kafkajs producers (each send() spanning
// partitions) and a kafkajs consumer group that auto-commits, through the same seeded faults
// and the same checker. kafkajs 2.2.4's own anomalies are classified as client-side by
// evidence: a send() resolved without sending one of its partitions; a sequence rolled back
// and answered as a duplicate; and, seen with seed 5, records written twice under two
// sequences of one producer id (one partition's error in a Produce answer makes kafkajs resend
// the whole request with sequences already advanced, so partitions the broker had written are
// written again as new records). The broker must show no violation.
import { Kafka, logLevel, type Consumer, type Producer as KafkaProducer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { HistoryRecorder, SendOutcome } from '../src/nemesis/history.js';
import { runNemesis } from '../src/nemesis/runner.js';
import { WireClient } from '../src/nemesis/wire.js';
import type { Driver, DriverContext } from '../src/nemesis/workload.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RETRY = { initialRetryTime: 100, maxRetryTime: 1000, retries: 8 };

/** One idempotent kafkajs producer: sequential send()s of 12 records over every partition. */
class KafkajsProducerDriver implements Driver {
  readonly kind = 'producer';
  private readonly producer: KafkaProducer;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private seq = 0;

  constructor(
    readonly name: string,
    private readonly ctx: DriverContext,
  ) {
    const kafka = new Kafka({ clientId: name, brokers: ctx.bootstrap, logLevel: logLevel.NOTHING, requestTimeout: 4000, retry: RETRY });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: RETRY });
  }

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.producer.connect();
        break;
      } catch {
        await sleep(200);
      }
    }
    while (!this.stopped) {
      const outcomes: SendOutcome[] = [];
      for (let i = 0; i < 12; i++) {
        const seq = this.seq++;
        outcomes.push(this.ctx.recorder.send(this.name, 'kafkajs', seq, seq % this.ctx.partitions));
      }
      try {
        const metas = await this.producer.send({
          topic: this.ctx.topic,
          acks: -1,
          timeout: 4000,
          messages: outcomes.map((o) => ({ partition: o.partition, value: o.value })),
        });
        const index = new Map<number, number>();
        for (const o of outcomes) {
          const meta = metas.find((m) => m.partition === o.partition);
          const i = index.get(o.partition) ?? 0;
          index.set(o.partition, i + 1);
          o.status = 'acked';
          if (!meta || meta.errorCode !== 0) o.ackWithoutPartition = true;
          else o.offset = Number(meta.baseOffset) < 0 ? -1 : Number(meta.baseOffset) + i;
        }
      } catch (err) {
        for (const o of outcomes) {
          o.status = 'failed';
          o.error = (err as Error).message;
        }
        await sleep(100);
      }
      await sleep(10);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.producer.disconnect().catch(() => {});
  }
}

/** A kafkajs consumer group member that auto-commits; its commits and records go to the history. */
class KafkajsConsumerDriver implements Driver {
  readonly kind = 'consumer';
  private readonly consumer: Consumer;
  private running: Promise<void> | null = null;

  constructor(
    readonly name: string,
    private readonly group: string,
    private readonly ctx: DriverContext,
  ) {
    const kafka = new Kafka({ clientId: name, brokers: ctx.bootstrap, logLevel: logLevel.NOTHING, requestTimeout: 4000, retry: RETRY });
    this.consumer = kafka.consumer({ groupId: group, sessionTimeout: 6000, heartbeatInterval: 500, rebalanceTimeout: 10_000, retry: RETRY, allowAutoTopicCreation: false });
    const rec: HistoryRecorder = ctx.recorder;
    this.consumer.on(this.consumer.events.COMMIT_OFFSETS, (e) => {
      for (const t of e.payload.topics as { topic: string; partitions: { partition: number; offset: string }[] }[]) {
        for (const p of t.partitions) rec.commit(group, p.partition, Number(p.offset), 'acked');
      }
    });
  }

  start(): void {
    this.running = (async () => {
      for (;;) {
        try {
          await this.consumer.connect();
          await this.consumer.subscribe({ topic: this.ctx.topic, fromBeginning: true });
          await this.consumer.run({
            autoCommitInterval: 300,
            eachMessage: async ({ partition, message }) => {
              this.ctx.recorder.consume(this.group, partition, Number(message.offset), message.value === null ? null : message.value.toString());
            },
          });
          return;
        } catch {
          await sleep(300);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    await this.running;
    await this.consumer.disconnect().catch(() => {});
    // What the group has committed, read back once healed.
    const client = new WireClient(this.ctx.bootstrap, `${this.name}-check`, 4000);
    try {
      for (let i = 0; i < 50; i++) {
        try {
          const node = await client.findCoordinator(this.group);
          const all = Array.from({ length: this.ctx.partitions }, (_, p) => p);
          for (const [p, o] of await client.committed(node, this.group, this.ctx.topic, all)) this.ctx.recorder.commit(this.group, p, o, 'observed');
          break;
        } catch {
          await sleep(200);
        }
      }
    } finally {
      client.close();
    }
  }
}

describe('nemesis campaign with kafkajs clients (in-process, short)', () => {
  it('kafkajs producers and a kafkajs consumer group: no broker violation; client-side anomalies kept apart', async () => {
    const lines: string[] = [];
    const r = await runNemesis({
      seed: 5,
      durationMs: 6000,
      brokers: 3,
      acks: 'all',
      healTimeoutMs: 20_000,
      producers: 0,
      committer: false,
      drivers: (ctx) => [
        new KafkajsProducerDriver('kafkajs-producer-0', ctx),
        new KafkajsProducerDriver('kafkajs-producer-1', ctx),
        new KafkajsConsumerDriver('kafkajs-consumer-0', 'kafkajs-group', ctx),
      ],
      print: (l) => lines.push(l),
      dataDir: process.env.NEMESIS_DATA_DIR,
      json: process.env.NEMESIS_DATA_DIR ? `${process.env.NEMESIS_DATA_DIR}/report.json` : null,
    });
    console.log(lines.join('\n'));
    expect(r.check.violations).toEqual([]);
    expect(r.check.stats.acked).toBeGreaterThan(100);
    expect(r.check.stats.commits).toBeGreaterThan(0);
    expect(r.check.stats.consumed).toBeGreaterThan(0);
    for (const a of r.check.clientAnomalies) expect(a.client).toMatch(/^kafkajs-/);
  }, 150_000);
});

// Replicated produce: kafkajs against 3 in-process brokers, RF 3, min.insync.replicas 2,
// acks=1 beside acks=all, throughput and per-send latency (p50/p99).
import { Kafka, logLevel } from 'kafkajs';
import { startCluster } from '../src/cluster.js';
import { setLogLevel } from '../src/logger.js';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  detail?: string;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function replicatedProduce(quick: boolean): Promise<BenchRow[]> {
  if (!process.env.MINIKAFKA_LOG) setLogLevel('warn');
  const cluster = await startCluster({ brokers: 3, inMemory: false, config: { 'min.insync.replicas': 2 } });
  const rows: BenchRow[] = [];
  try {
    const kafka = new Kafka({ clientId: 'bench-replication', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const sends = quick ? 500 : 2000;
    const perSend = 10;
    const value = Buffer.alloc(100, 'r');
    const messages = Array.from({ length: perSend }, () => ({ value }));
    // Two passes over both settings; only the second is reported, so neither pays for warm-up.
    for (const [pass, acks] of [[0, 1], [0, -1], [1, 1], [1, -1]] as const) {
      const topic = `replicated-acks${acks === -1 ? 'all' : acks}`;
      if (pass === 0) await cluster.createTopic(topic, { partitions: 1, replicationFactor: 3 });
      const latencies: number[] = [];
      const started = performance.now();
      for (let i = 0; i < sends; i++) {
        const t = performance.now();
        await producer.send({ topic, acks, messages });
        latencies.push(performance.now() - t);
      }
      const secs = (performance.now() - started) / 1000;
      if (pass === 0) continue;
      latencies.sort((a, b) => a - b);
      const label = `kafkajs produce 100 B, RF 3 on 3 in-process brokers, acks=${acks === -1 ? 'all' : acks}`;
      rows.push({ name: label, value: Math.round((sends * perSend) / secs), unit: 'records/s', detail: `${sends} sequential sends of ${perSend} records` });
      rows.push({ name: `${label}, p50 send latency`, value: +percentile(latencies, 50).toFixed(2), unit: 'ms' });
      rows.push({ name: `${label}, p99 send latency`, value: +percentile(latencies, 99).toFixed(2), unit: 'ms' });
    }
    await producer.disconnect();
  } finally {
    await cluster.close();
  }
  return rows;
}

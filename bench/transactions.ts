// Transactional producer benchmark (issue #12, proof 7): our producer writing 100 B records to one
// partition in transactions of 1,000 records (initTransactions once, then beginTransaction, 1,000
// send()s, commitTransaction, repeat) beside the same records from an idempotent producer without
// transactions (acks=all), in the same run; records/s, median of RUNS runs on fresh topics.
// The cost of a transaction: AddPartitionsToTxn before its first batch, EndTxn, and the commit
// markers the coordinator writes (acks=all) before the next transaction may add the partition.
import { Producer } from '../src/producer/index.js';
import { PRODUCER_BENCH_SETTINGS, createTopic, deleteTopic, type BenchRow } from './producer.js';

const RUNS = 3;
const TXN_RECORDS = 1000;

let seq = 0;

async function idempotentRun(bootstrap: string, topic: string, total: number): Promise<number> {
  const p = new Producer({ bootstrapServers: [bootstrap], acks: 'all', enableIdempotence: true, batchSize: PRODUCER_BENCH_SETTINGS.batchSize, clientId: 'bench-idem' });
  const value = Buffer.alloc(100, 'x');
  await p.send({ topic, value });
  await p.flush();
  const started = performance.now();
  // The same shape as the transactional run: 1,000 sends, then wait for them, repeat.
  for (let sent = 0; sent < total; sent += TXN_RECORDS) {
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < TXN_RECORDS; i++) acks.push(p.send({ topic, value }));
    await Promise.all(acks);
  }
  const secs = (performance.now() - started) / 1000;
  await p.close();
  return total / secs;
}

async function transactionalRun(bootstrap: string, topic: string, total: number): Promise<number> {
  const p = new Producer({ bootstrapServers: [bootstrap], acks: 'all', batchSize: PRODUCER_BENCH_SETTINGS.batchSize, clientId: 'bench-txn', transactionalId: `bench-txn-${process.pid}-${seq++}` });
  const value = Buffer.alloc(100, 'x');
  await p.initTransactions();
  p.beginTransaction(); // warm-up transaction: metadata, connections, coordinator
  await p.send({ topic, value });
  await p.commitTransaction();
  const started = performance.now();
  for (let sent = 0; sent < total; sent += TXN_RECORDS) {
    p.beginTransaction();
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < TXN_RECORDS; i++) acks.push(p.send({ topic, value }));
    await p.commitTransaction(); // flushes: every send of the transaction is acknowledged first
    await Promise.all(acks);
  }
  const secs = (performance.now() - started) / 1000;
  await p.close();
  return total / secs;
}

/** Idempotent and transactional rows, runs interleaved so machine noise hits both alike. */
export async function transactionalBench(bootstrap: string, quick: boolean): Promise<BenchRow[]> {
  const total = quick ? 50_000 : 200_000;
  const idem: number[] = [];
  const txn: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    for (const [rates, fn] of [
      [idem, idempotentRun],
      [txn, transactionalRun],
    ] as const) {
      const topic = `bench-txn-${seq++}`;
      await createTopic(bootstrap, topic, 1);
      rates.push(await fn(bootstrap, topic, total));
      await deleteTopic(bootstrap, topic);
    }
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const i = med(idem);
  const t = med(txn);
  const detail = (xs: number[]) => `100 B, 1 partition, acks=all, ${total} records in rounds of ${TXN_RECORDS}, median of ${RUNS} (runs ${xs.map((x) => Math.round(x / 1000) + 'k').join(', ')})`;
  return [
    { name: 'producer ours    idempotent, rounds of 1,000 records', value: Math.round(i), unit: 'records/s', detail: detail(idem) },
    { name: 'producer ours    transactional, 1,000-record transactions', value: Math.round(t), unit: 'records/s', detail: `${detail(txn)}; ${(t / i).toFixed(2)}x idempotent` },
  ];
}

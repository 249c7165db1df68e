// Issue 10's case: 10,000,000 unawaited 100-byte sends, buffer.memory at its default (32 MiB),
// 1 partition, acks=1, against a broker in its own process (--in-memory). Prints how many
// records were acknowledged in each second (a steady rate means no per-send cost grows with
// the number of waiting sends), the overall rate, the most sends waiting at once, and peak RSS
// and heap of this (the producer's) process. Each record is a fresh { topic, value } object
// sharing one 100-byte value.
//   promise   producer.send(r) in a loop, the returned promises dropped (the README's example)
//   callback  producer.send(r, cb) in a loop
//   drain     producer.send(r, cb), and `await once(producer, 'drain')` whenever needsDrain
// Usage: npm run build && node scripts/producer-10m.mjs [promise|callback|drain] [records=10000000]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Producer } from '../dist/src/index.js';
import { createTopic } from '../dist/bench/producer.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mode = process.argv[2] ?? 'promise';
const total = Number(process.argv[3] ?? 10_000_000);
if (!['promise', 'callback', 'drain'].includes(mode)) throw new Error(`unknown mode ${mode}`);

const child = spawn(process.execPath, [path.join(root, 'bin', 'minikafka.js'), '--port', '0', '--in-memory'], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, MINIKAFKA_LOG: 'warn' },
});
const bootstrap = await new Promise((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    const m = /minikafka ready bootstrap=(\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
  child.on('exit', (code) => reject(new Error(`broker exited with ${code}`)));
});

let peakRss = 0;
let peakHeap = 0;
function sample() {
  const m = process.memoryUsage();
  if (m.rss > peakRss) peakRss = m.rss;
  if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
}
const mb = (b) => `${(b / 1e6).toFixed(0)} MB`;

try {
  const topic = 'ten-million';
  await createTopic(bootstrap, topic, 1);
  const p = new Producer({ bootstrapServers: [bootstrap], acks: 1, enableIdempotence: false, clientId: 'producer-10m' });
  const value = Buffer.alloc(100, 'x');
  await p.send({ topic, value });
  await p.flush();
  const base = p.metrics().recordsSent;
  sample();
  const rssBefore = peakRss;
  let errors = 0;
  const cb = (err) => {
    if (err) errors++;
  };
  let maxWaiting = 0;
  const started = performance.now();
  let lastAcked = 0;
  let lastAt = started;
  const perSecond = [];
  const ticker = setInterval(() => {
    sample();
    const now = performance.now();
    const acked = p.metrics().recordsSent - base;
    perSecond.push(Math.round(((acked - lastAcked) * 1000) / (now - lastAt)));
    console.log(`${((now - started) / 1000).toFixed(1).padStart(6)} s  acknowledged ${acked.toLocaleString('en').padStart(11)}  ${Math.round(((acked - lastAcked) * 1000) / (now - lastAt)).toLocaleString('en').padStart(10)} records/s  rss ${mb(process.memoryUsage().rss)}  waiting ${p.metrics().waitingSends.toLocaleString('en')}`);
    lastAcked = acked;
    lastAt = now;
  }, 1000);
  for (let i = 0; i < total; i++) {
    if (mode === 'promise') p.send({ topic, value });
    else p.send({ topic, value }, cb);
    if (mode === 'drain' && p.needsDrain) {
      if ((i & 0xff) === 0) sample();
      await once(p, 'drain');
    }
    if ((i & 0xffff) === 0) {
      sample();
      const w = p.metrics().waitingSends;
      if (w > maxWaiting) maxWaiting = w;
    }
  }
  const enqueuedMs = performance.now() - started;
  maxWaiting = Math.max(maxWaiting, p.metrics().waitingSends);
  await p.flush();
  clearInterval(ticker);
  sample();
  const secs = (performance.now() - started) / 1000;
  const m = p.metrics();
  errors += m.recordErrors;
  await p.close();
  const steady = perSecond.slice(1, -1).filter((x) => x > 0);
  console.log(
    `${mode}: ${total.toLocaleString('en')} sends of 100 B in ${secs.toFixed(1)} s = ${Math.round(total / secs).toLocaleString('en')} records/s ` +
      `(send loop ${(enqueuedMs / 1000).toFixed(1)} s); acknowledged ${(m.recordsSent - base).toLocaleString('en')}, errors ${errors}; ` +
      `most waiting ${maxWaiting.toLocaleString('en')}; peak RSS ${mb(peakRss)} (${mb(rssBefore)} before), peak heap ${mb(peakHeap)}` +
      (steady.length > 1 ? `; per-second rate min ${Math.min(...steady).toLocaleString('en')} max ${Math.max(...steady).toLocaleString('en')}` : ''),
  );
} finally {
  child.kill('SIGTERM');
}

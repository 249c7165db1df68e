// Focused producer benchmark (issue 14): 100 B records, 1 partition, acks=1, callback form vs
// Promise.all vs Promise.allSettled over windows of 16,384 sends, against a broker in its own
// process (--in-memory). Forms are interleaved run by run; prints every run and the medians.
// Usage: npm run build && node scripts/producer-forms.mjs [runs=5] [records=1000000] [form,...]
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEND_FORMS, createTopic, deleteTopic, sendFormRun } from '../dist/bench/producer.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 5);
const total = Number(process.argv[3] ?? 1_000_000);
const forms = process.argv[4] ? process.argv[4].split(',') : SEND_FORMS;

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
try {
  let seq = 0;
  const warm = `forms-warmup-${seq++}`;
  await createTopic(bootstrap, warm, 1);
  for (const form of forms) await sendFormRun(bootstrap, warm, form, Math.min(total, 300_000));
  await deleteTopic(bootstrap, warm);
  const rates = Object.fromEntries(SEND_FORMS.map((f) => [f, []]));
  const cpus = Object.fromEntries(SEND_FORMS.map((f) => [f, []]));
  for (let r = 0; r < runs; r++) {
    for (const form of forms) {
      const topic = `forms-${seq++}`;
      await createTopic(bootstrap, topic, 1);
      const { rps, cpuUs } = await sendFormRun(bootstrap, topic, form, total);
      await deleteTopic(bootstrap, topic);
      rates[form].push(rps);
      cpus[form].push(cpuUs);
      console.log(`run ${r + 1} ${form.padEnd(18)} ${Math.round(rps).toLocaleString('en').padStart(9)} records/s  client CPU ${cpuUs.toFixed(2)} µs/record`);
    }
  }
  for (const form of forms) {
    const s = [...rates[form]].sort((a, b) => a - b);
    const med = s[Math.floor(s.length / 2)];
    const c = [...cpus[form]].sort((a, b) => a - b);
    console.log(
      `${form.padEnd(18)} median ${Math.round(med).toLocaleString('en')} records/s (min ${Math.round(s[0]).toLocaleString('en')}, max ${Math.round(s.at(-1)).toLocaleString('en')}, ${runs} runs of ${total}); ` +
        `client CPU median ${c[Math.floor(c.length / 2)].toFixed(2)} µs/record (min ${c[0].toFixed(2)}, max ${c.at(-1).toFixed(2)})`,
    );
  }
} finally {
  child.kill('SIGTERM');
}

// The floor Node itself puts under the producer's Promise forms (bench/promiseFloor.ts): the same
// windows of promises with no producer and no network. Compare with scripts/producer-forms.mjs
// on the same Node. Usage: npm run build && node scripts/promise-floor.mjs [runs=5] [records=1000000]
import { promiseFloorRun } from '../dist/bench/promiseFloor.js';

const runs = Number(process.argv[2] ?? 5);
const total = Number(process.argv[3] ?? 1_000_000);
const WINDOW = 16_384;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`node ${process.version}: ${runs} runs of ${total} promises per form, windows of ${WINDOW}`);
for (const form of ['Promise.all', 'Promise.allSettled']) {
  await promiseFloorRun(form, total, WINDOW); // warm-up
  const rates = [];
  const cpus = [];
  for (let i = 0; i < runs; i++) {
    const r = await promiseFloorRun(form, total, WINDOW);
    rates.push(r.rps);
    cpus.push(r.cpuUs);
  }
  console.log(
    `${form.padEnd(18)} median ${Math.round(median(rates)).toLocaleString('en')} promises/s ` +
      `(min ${Math.round(Math.min(...rates)).toLocaleString('en')}, max ${Math.round(Math.max(...rates)).toLocaleString('en')}); ` +
      `CPU median ${median(cpus).toFixed(2)} µs/promise`,
  );
}

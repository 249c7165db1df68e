// What Node itself charges for the Promise forms of the producer benchmark, with no producer and
// no network (issue 14): windows of FORM_WINDOW promises, two unsettled at a time, each derived
// from one promise per "batch" of PER_BATCH records (what batch.size 16384 holds of 100 B
// records), as ProducerBatch.derivePromise derives them, and resolved to a RecordMetadata-shaped
// object; the batches settle on a later event-loop turn, as acknowledgements would. The producer
// cannot be faster than the promises it hands out, so this is the floor under its `Promise.all`
// and `Promise.allSettled` rows on the same Node.
export type PromiseForm = 'Promise.all' | 'Promise.allSettled';

const PER_BATCH = 145;

interface Batch {
  promise: Promise<void>;
  pick: () => { topic: string; partition: number; offset: number; timestamp: number };
}

function newBatch(base: number, due: (() => void)[]): Batch {
  let next = 0;
  let settle!: () => void;
  const promise = new Promise<void>((r) => (settle = r));
  due.push(settle);
  return { promise, pick: () => ({ topic: 't', partition: 0, offset: base + next++, timestamp: 0 }) };
}

/** Promises/s and CPU µs per promise (user + system) for `total` promises in windows of `window`. */
export async function promiseFloorRun(form: PromiseForm, total: number, window: number): Promise<{ rps: number; cpuUs: number }> {
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const windows: Promise<unknown>[] = [];
  let due: (() => void)[] = [];
  let batch: Batch | null = null;
  for (let sent = 0; sent < total; ) {
    const end = Math.min(sent + window, total);
    const win = new Array<Promise<unknown>>(end - sent);
    for (let i = 0; sent < end; sent++, i++) {
      if (sent % PER_BATCH === 0) batch = newBatch(sent, due);
      win[i] = batch!.promise.then(batch!.pick);
    }
    windows.push(form === 'Promise.all' ? Promise.all(win) : Promise.allSettled(win));
    const settleNow = due;
    due = [];
    setImmediate(() => {
      for (const settle of settleNow) settle();
    });
    if (windows.length > 1) await windows.shift();
  }
  for (const settle of due) settle();
  for (const w of windows) await w;
  const cpu = process.cpuUsage(cpu0);
  return { rps: total / ((performance.now() - started) / 1000), cpuUs: (cpu.user + cpu.system) / total };
}

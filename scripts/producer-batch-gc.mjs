// The Promise path's heap cost without a network (issue 14): real ProducerBatch objects, 100 B
// records, batches of 131072 bytes completed one per event-loop turn (as responses would),
// windows of 16,384 sends with two unacknowledged, as in scripts/producer-forms.mjs. Prints
// client CPU per record and, from V8's own GC trace, bytes allocated and promoted per record
// (allocation does not depend on machine load; promotion and CPU do somewhat).
// Usage: npm run build && node scripts/producer-batch-gc.mjs [records=2000000] [form,...]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FORMS = ['callback', 'Promise.all', 'Promise.allSettled'];
const W = 16_384;

if (process.argv[2] === '--child') {
  const { ProducerBatch } = await import('../dist/src/producer/ProducerBatch.js');
  const form = process.argv[3];
  const total = Number(process.argv[4]);
  const pq = { topic: 't', partition: 0 };
  const value = Buffer.alloc(100, 'x');
  const buffers = [];
  const queue = [];
  let open = null;
  let offset = 0;
  const append = (cb) => {
    const now = Date.now();
    if (open === null || !open.tryAppend(now, null, -1, value, 100, null, 0, cb)) {
      if (open !== null) queue.push(open);
      open = new ProducerBatch(pq, buffers.pop() ?? Buffer.allocUnsafe(131_072), 131_072, now);
      open.tryAppend(now, null, -1, value, 100, null, 0, cb);
    }
    return open;
  };
  let running = true;
  const respond = () => {
    let b = queue.shift();
    if (b === undefined && open !== null && open.count > 0) [b, open] = [open, null];
    if (b !== undefined) {
      b.complete(offset, -1);
      offset += b.count;
      buffers.push(b.buf);
    }
    if (running) setImmediate(respond);
  };
  setImmediate(respond);
  const cpu0 = process.cpuUsage();
  if (form === 'callback') {
    let acked = 0;
    let waitFor = 0;
    let wake = null;
    const cb = () => {
      acked++;
      if (wake !== null && acked >= waitFor) {
        const w = wake;
        wake = null;
        w();
      }
    };
    for (let sent = 0; sent < total; ) {
      const end = Math.min(sent + W, total);
      for (; sent < end; sent++) append(cb);
      if (sent - acked > W) {
        waitFor = sent - W;
        await new Promise((r) => (wake = r));
      }
    }
    while (acked < total) await new Promise((r) => setImmediate(r));
  } else {
    const windows = [];
    for (let sent = 0; sent < total; ) {
      const end = Math.min(sent + W, total);
      const win = new Array(end - sent);
      for (let i = 0; sent < end; sent++, i++) win[i] = append(null).derivePromise();
      windows.push(form === 'Promise.all' ? Promise.all(win) : Promise.allSettled(win));
      if (windows.length > 1) await windows.shift();
    }
    for (const w of windows) await w;
  }
  running = false;
  const cpu = process.cpuUsage(cpu0);
  console.log(`cpu ${(cpu.user + cpu.system) / total}`);
} else {
  const total = Number(process.argv[2] ?? 2_000_000);
  const forms = process.argv[3] ? process.argv[3].split(',') : FORMS;
  for (const form of forms) {
    const r = spawnSync(process.execPath, ['--trace-gc-nvp', fileURLToPath(import.meta.url), '--child', form, String(total)], { encoding: 'utf8', maxBuffer: 1 << 28 });
    let allocated = 0;
    let promoted = 0;
    let pause = 0;
    let cpu = NaN;
    for (const line of r.stdout.split('\n')) {
      if (line.startsWith('cpu ')) cpu = Number(line.slice(4));
      if (!line.includes('pause=')) continue;
      for (const kv of line.split(/\s+/)) {
        const [k, v] = kv.split('=');
        if (k === 'allocated') allocated += Number(v);
        else if (k === 'promoted') promoted += Number(v);
        else if (k === 'pause') pause += Number(v);
      }
    }
    console.log(
      `${form.padEnd(18)} client CPU ${cpu.toFixed(2)} µs/record, allocated ${(allocated / total).toFixed(0)} B/record, promoted ${(promoted / total).toFixed(0)} B/record, GC pauses ${Math.round(pause)} ms (${total} records)`,
    );
  }
}

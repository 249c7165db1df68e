// Small state files written atomically (Kafka's CheckpointFile): the whole content goes to a
// temp file, is fsynced, then renamed over the old one, so a crash leaves the old or the new
// file, never a torn one. Readers of a missing or garbled file get null.
// A failed write (disk full) leaves the old file in place and removes the temp file.
// `sync: false` skips the fsync (the rename stays atomic against a process crash); the owner
// then calls `syncFile` before anything durable depends on the content (a power cut).
import fs from 'node:fs';
import { checkpointSite, injectedFault, ioError } from './LogIO.js';

export function writeFileAtomically(file: string, content: string, sync = true): void {
  const tmp = `${file}.tmp`;
  const site = checkpointSite(file);
  const fault = site === null ? null : injectedFault(site, file);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      const bytes = Buffer.from(content);
      const limit = fault ? Math.min(fault.afterBytes ?? 0, bytes.length) : bytes.length;
      let done = 0;
      while (done < limit) done += fs.writeSync(fd, bytes, done, limit - done);
      if (fault) throw ioError(fault, tmp);
      if (sync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** fsync a file written with `sync: false`; a missing file is nothing to sync. */
export function syncFile(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** A checkpoint holding one non-negative number (recovery point, log start offset, high watermark). */
export function readNumberCheckpoint(file: string): number | null {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

export function writeNumberCheckpoint(file: string, value: number): void {
  writeFileAtomically(file, `${value}\n`);
}

// Small state files written atomically (Kafka's CheckpointFile): the whole content goes to a
// temp file, is fsynced, then renamed over the old one, so a crash leaves the old or the new
// file, never a torn one. Readers of a missing or garbled file get null.
import fs from 'node:fs';

export function writeFileAtomically(file: string, content: string): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
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

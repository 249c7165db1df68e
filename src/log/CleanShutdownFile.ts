// The clean-shutdown marker (Kafka's CleanShutdownFileHandler): `.kafka_cleanshutdown` in a
// broker's data directory, written (fsynced) after every log closed with a flush and a
// recovery-point checkpoint, and consumed (deleted, directory fsynced) by the next start before
// any log opens. Logs opened while it was there trust their segments: no CRC validation of the
// last segment, no fsync after loading. Without it (a crash, a failed flush at close) every
// log recovers from its recovery point as before. Content as Kafka's: {"version":0,"brokerEpoch":N}.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from './CheckpointFile.js';

export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';

/** Whether dir holds the marker; it is removed, so a crash from here on is recovered as one. */
export function consumeCleanShutdownMarker(dir: string): boolean {
  const file = path.join(dir, CLEAN_SHUTDOWN_FILE);
  if (!fs.existsSync(file)) return false;
  fs.rmSync(file, { force: true });
  syncDirectory(dir);
  return true;
}

/** Mark dir as cleanly shut down (call only once every log in it closed flushed). */
export function writeCleanShutdownMarker(dir: string, brokerEpoch: number): void {
  writeFileAtomically(path.join(dir, CLEAN_SHUTDOWN_FILE), JSON.stringify({ version: 0, brokerEpoch }));
  syncDirectory(dir);
}

/** fsync a directory so a rename or removal in it is durable (a no-op where directories cannot be opened). */
function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch {
    // some filesystems refuse fsync on a directory: the marker is then as durable as they allow
  } finally {
    fs.closeSync(fd);
  }
}

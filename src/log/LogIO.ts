// Write-fault injection for the partition logs: a test names a write site (and optionally a
// path fragment) and the next write there throws an errno-style error (ENOSPC by default),
// optionally after writing part of its bytes, as a full disk does. Every write site in src/log
// calls `injectedFault` first; with nothing armed that is one size check, so production pays
// nothing. The module is process-global, like the disk it stands in for. Also `openOrCreate`,
// how the segment and index files are opened (no separate existence check).
import fs from 'node:fs';
import path from 'node:path';

/** The places the partition logs write to disk. */
export type WriteSite =
  | 'segment' // a batch appended to a .log file
  | 'segment-truncate' // cutting a .log file back (truncation, or undoing a failed write)
  | 'offset-index' // an entry of a .index file
  | 'time-index' // an entry of a .timeindex file
  | 'txn-index' // an entry of a .txnindex file, or its rewrite
  | 'segment-create' // creating the files of a new segment at a roll
  | 'producer-snapshot' // <offset>.snapshot (ProducerStateManager)
  | 'recovery-point' // checkpoint files, by file name
  | 'log-start-offset'
  | 'high-watermark'
  | 'leader-epoch-checkpoint'
  | 'fsync'; // flushing a segment's files

export interface WriteFault {
  site: WriteSite;
  /** Only writes whose file path contains this (e.g. a topic-partition directory name). */
  pathIncludes?: string;
  /** How many writes fail (default 1). */
  times?: number;
  /** Bytes that reach the file before the error (default 0): a partial write. */
  afterBytes?: number;
  /** errno code of the thrown error (default ENOSPC). */
  code?: 'ENOSPC' | 'EIO' | 'EDQUOT';
}

const armed: WriteFault[] = [];

/** Test hook: make the next `times` writes at `site` fail. */
export function injectWriteFault(fault: WriteFault): void {
  armed.push({ ...fault, times: fault.times ?? 1 });
}

export function clearWriteFaults(): void {
  armed.length = 0;
}

/** Whether any fault is armed (lets a site skip even the work of naming its file). */
export function writeFaultsArmed(): boolean {
  return armed.length > 0;
}

/** Faults still armed (not yet consumed). */
export function pendingWriteFaults(): number {
  return armed.reduce((n, f) => n + (f.times ?? 1), 0);
}

/**
 * Called by every write site before it writes: null when the write may proceed, else the fault
 * (consumed) that the site must apply by writing `afterBytes` at most and throwing `ioError`.
 */
export function injectedFault(site: WriteSite, file: string): WriteFault | null {
  if (armed.length === 0) return null;
  const i = armed.findIndex((f) => f.site === site && (f.pathIncludes === undefined || file.includes(f.pathIncludes)));
  if (i < 0) return null;
  const f = armed[i]!;
  f.times = (f.times ?? 1) - 1;
  if (f.times <= 0) armed.splice(i, 1);
  return f;
}

/** The error a failed write throws: shaped like Node's own (code, errno, syscall, path). */
export function ioError(fault: WriteFault, file: string): NodeJS.ErrnoException {
  const code = fault.code ?? 'ENOSPC';
  const text = code === 'ENOSPC' ? 'no space left on device' : code === 'EDQUOT' ? 'disk quota exceeded' : 'i/o error';
  const err: NodeJS.ErrnoException = new Error(`${code}: ${text}, write '${file}' (injected at ${fault.site})`);
  err.code = code;
  err.errno = code === 'ENOSPC' ? -28 : code === 'EDQUOT' ? -122 : -5;
  err.syscall = 'write';
  err.path = file;
  return err;
}

/** Throw at `site` if a fault is armed there (for sites that write nothing partially). */
export function maybeFailWrite(site: WriteSite, file: string): void {
  const f = injectedFault(site, file);
  if (f) throw ioError(f, file);
}

/** The write site of a checkpoint file, from its name. */
export function checkpointSite(file: string): WriteSite | null {
  const name = path.basename(file);
  if (name.endsWith('.snapshot')) return 'producer-snapshot';
  switch (name) {
    case 'recovery-point':
    case 'log-start-offset':
    case 'high-watermark':
    case 'leader-epoch-checkpoint':
      return name;
    default:
      return null;
  }
}

/** Open path for reading and writing, creating it when missing (one system call when it exists). */
export function openOrCreate(file: string): { fd: number; existed: boolean } {
  try {
    return { fd: fs.openSync(file, 'r+'), existed: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return { fd: fs.openSync(file, 'w+'), existed: false };
  }
}

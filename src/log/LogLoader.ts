// Loading a partition directory (Kafka's LogLoader): list the segment files, drop stray index
// files and temp files, open every segment and recover it — segments wholly below the recovery
// point are trusted (indexes re-walked from their last entry), later ones are CRC-validated from
// the recovery point — cutting the log at the first torn, corrupt or overlapping batch and
// deleting every later segment. After a clean shutdown (the broker's `.kafka_cleanshutdown`
// marker) every segment is trusted: close() flushed them all and checkpointed the recovery point
// at the log end, so there is nothing to validate. UnifiedLog then restores its checkpoints and
// derived state.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.js';
import * as RB from '../protocol/recordBatch.js';
import type { EpochEntry } from './LeaderEpochFileCache.js';
import type { LogConfig } from './LogConfig.js';
import { filenamePrefixFromOffset, INDEX_FILE_SUFFIX, LogSegment, TIME_INDEX_FILE_SUFFIX } from './LogSegment.js';
import { TXN_INDEX_FILE_SUFFIX } from './TransactionIndex.js';

const SEGMENT_FILE_RE = /^(\d{20})\.(log|index|timeindex|txnindex)$/;

export interface LoadedSegments {
  /** At least one segment, oldest first. */
  segments: LogSegment[];
  logStartOffset: number;
  /** Segments whose data was CRC-validated from the recovery point (0 after a clean shutdown). */
  recoveredSegments: number;
}

export function loadSegments(
  dir: string,
  config: LogConfig,
  now: () => number,
  logger: Logger,
  recoveryPoint: number,
  checkpointedStart: number,
  hadCleanShutdown = false,
): LoadedSegments {
  const bases = new Set<number>();
  const byBase = new Map<number, Set<string>>();
  for (const name of fs.readdirSync(dir)) {
    if (name.endsWith('.tmp')) {
      fs.rmSync(path.join(dir, name), { force: true });
      continue;
    }
    const m = SEGMENT_FILE_RE.exec(name);
    if (!m) continue;
    const base = Number(m[1]);
    if (!byBase.has(base)) byBase.set(base, new Set());
    byBase.get(base)!.add(m[2]!);
    if (m[2] === 'log') bases.add(base);
  }
  for (const [base, kinds] of byBase) {
    if (kinds.has('log')) continue;
    const prefix = path.join(dir, filenamePrefixFromOffset(base));
    logger.warn(`deleting index files without a .log file for base offset ${base}`);
    fs.rmSync(prefix + INDEX_FILE_SUFFIX, { force: true });
    fs.rmSync(prefix + TIME_INDEX_FILE_SUFFIX, { force: true });
    fs.rmSync(prefix + TXN_INDEX_FILE_SUFFIX, { force: true });
  }
  const segments: LogSegment[] = [];
  let recoveredSegments = 0;
  for (const base of [...bases].sort((a, b) => a - b)) segments.push(LogSegment.open(dir, base, config, now));

  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const next = segments[i + 1];
    const trusted = (next !== undefined && next.baseOffset <= recoveryPoint) || (hadCleanShutdown && seg.baseOffset <= recoveryPoint);
    const indexProblem = seg.offsetIndex.sanityCheck(seg.size) ?? seg.timeIndex.sanityCheck();
    if (indexProblem) logger.warn(`rebuilding indexes of segment ${seg.baseOffset}: ${indexProblem}`);
    const sizeBefore = seg.size;
    let res;
    if (trusted) {
      res = seg.recover(indexProblem ? seg.baseOffset : seg.resumeOffset(), false);
    } else {
      res = seg.recover(indexProblem ? seg.baseOffset : Math.max(seg.baseOffset, recoveryPoint), true);
      seg.dirty = true; // validated data of a possibly unclean shutdown: fsync it before trusting it
      recoveredSegments++;
    }
    let problem = res.problem;
    if (!problem && next !== undefined && seg.nextOffset > next.baseOffset) {
      seg.truncateTo(next.baseOffset);
      problem = `segment overlaps the next segment at offset ${next.baseOffset}`;
    }
    if (problem) {
      const later = segments.length - 1 - i;
      logger.warn(
        `recovery of segment ${seg.baseOffset}: ${problem}; truncated ${sizeBefore - seg.size} bytes at position ${seg.size}` +
          `${later > 0 ? ` and deleted ${later} later segment(s)` : ''}; log end offset ${seg.nextOffset}`,
      );
      for (const s of segments.splice(i + 1)) s.delete();
      break;
    }
    if (next !== undefined) {
      try {
        seg.onBecomeInactiveSegment();
      } catch (err) {
        // only the final max-timestamp entry is missing; the in-memory maximum is right
        logger.error(`time index of segment ${seg.baseOffset} not completed: ${(err as Error).message}`);
      }
    }
  }

  if (segments.length === 0) segments.push(LogSegment.open(dir, checkpointedStart, config, now));
  const logStartOffset = Math.max(checkpointedStart, segments[0]!.baseOffset);
  const logEndOffset = segments.at(-1)!.nextOffset;
  if (logStartOffset > logEndOffset) {
    logger.warn(`log end offset ${logEndOffset} is below the log start offset ${logStartOffset}: deleting all segments`);
    for (const s of segments.splice(0)) s.delete();
    segments.push(LogSegment.open(dir, logStartOffset, config, now));
  }
  return { segments, logStartOffset, recoveredSegments };
}

/** Leader epoch entries from the batches' partition leader epochs (the first batch of each larger epoch), for a lost checkpoint. */
export function epochsFromLog(segments: readonly LogSegment[], logStartOffset: number): EpochEntry[] {
  const out: EpochEntry[] = [];
  for (const seg of segments) {
    seg.scan(0, false, (b) => {
      const epoch = RB.partitionLeaderEpoch(b.buf, b.off);
      if (b.lastOffset >= logStartOffset && epoch >= 0 && epoch > (out.at(-1)?.epoch ?? -1)) {
        out.push({ epoch, startOffset: Math.max(b.baseOffset, logStartOffset) });
      }
      return true;
    });
  }
  return out;
}

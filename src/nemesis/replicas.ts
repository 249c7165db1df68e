// Replica comparison from disk: each replica's log of a partition (dataDir/broker-N/<topic>-<p>/
// *.log, segments in offset order) read as record batches, and every batch that starts below
// the high watermark compared across replicas — boundaries, leader epoch, producer id and
// epoch, base sequence, record count and the bytes themselves. Below the high watermark every
// in-sync replica must hold the very same batches.
import fs from 'node:fs';
import path from 'node:path';
import { FileRecords } from '../log/FileRecords.js';
import { LOG_FILE_SUFFIX } from '../log/LogSegment.js';
import * as RB from '../protocol/recordBatch.js';
import type { ReplicaDivergence } from './history.js';

export interface BatchSummary {
  baseOffset: number;
  lastOffset: number;
  leaderEpoch: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  bytes: Buffer;
}

/** The batches of one replica's log that start below `highWatermark`, in offset order. */
export function readReplicaBatches(dir: string, highWatermark: number): BatchSummary[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(LOG_FILE_SUFFIX))
    .sort((a, b) => Number(a.slice(0, -LOG_FILE_SUFFIX.length)) - Number(b.slice(0, -LOG_FILE_SUFFIX.length)));
  const out: BatchSummary[] = [];
  for (const f of files) {
    const records = new FileRecords(path.join(dir, f));
    try {
      const buf = records.read(0, records.size);
      for (const { pos, size } of RB.batches(buf)) {
        const base = RB.baseOffset(buf, pos);
        if (base >= highWatermark) return out;
        out.push({
          baseOffset: base,
          lastOffset: RB.lastOffset(buf, pos),
          leaderEpoch: RB.partitionLeaderEpoch(buf, pos),
          producerId: RB.producerId(buf, pos),
          producerEpoch: RB.producerEpoch(buf, pos),
          baseSequence: RB.baseSequence(buf, pos),
          recordCount: RB.recordCount(buf, pos),
          bytes: Buffer.from(buf.subarray(pos, pos + size)),
        });
      }
    } finally {
      records.close();
    }
  }
  return out;
}

function describe(b: BatchSummary | undefined): string {
  if (!b) return 'no batch';
  return `[${b.baseOffset}..${b.lastOffset}] epoch ${b.leaderEpoch} pid ${b.producerId}/${b.producerEpoch} seq ${b.baseSequence} n=${b.recordCount}`;
}

/** Differences between `replicas` (broker ids) of one partition below its high watermark; the first replica is the reference. */
export function compareReplicas(dataDir: string, topic: string, partition: number, replicas: number[], highWatermark: number): { divergences: ReplicaDivergence[]; comparedBatches: number } {
  const out: ReplicaDivergence[] = [];
  const logs = replicas.map((broker) => {
    const dir = path.join(dataDir, `broker-${broker}`, `${topic}-${partition}`);
    return { broker, batches: fs.existsSync(dir) ? readReplicaBatches(dir, highWatermark) : null };
  });
  const ref = logs[0]!;
  if (ref.batches === null) return { divergences: [{ partition, broker: ref.broker, detail: 'no log directory' }], comparedBatches: 0 };
  let comparedBatches = 0;
  const refEnd = ref.batches.at(-1)?.lastOffset ?? -1;
  if (refEnd + 1 < highWatermark) out.push({ partition, broker: ref.broker, detail: `log ends at ${refEnd + 1}, below the high watermark ${highWatermark}` });
  for (const other of logs.slice(1)) {
    if (other.batches === null) {
      out.push({ partition, broker: other.broker, detail: 'no log directory' });
      continue;
    }
    const n = Math.max(ref.batches.length, other.batches.length);
    for (let i = 0; i < n; i++) {
      const a = ref.batches[i];
      const b = other.batches[i];
      if (a && b && a.bytes.equals(b.bytes)) {
        comparedBatches++;
        continue;
      }
      out.push({ partition, broker: other.broker, detail: `batch #${i} differs from broker ${ref.broker}'s: ${describe(b)} vs ${describe(a)}` });
      break;
    }
  }
  return { divergences: out, comparedBatches };
}

// DescribeLogDirs v0–4: this broker's one log dir (its data dir, absolute) with the size in bytes
// of every replica it hosts (topics null: all; else the named partitions it hosts) and, v4+, the
// file system's total and usable bytes. offsetLag is Kafka's for a current (non-future)
// replica: max(0, high watermark − log end offset). An in-memory broker reports the dir
// "(in-memory)" with unknown sizes (-1).
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode } from '../../protocol/errors.js';
import * as M from '../../protocol/messages/index.js';
import { defineApi } from './Api.js';
import type { Broker } from '../Broker.js';

/** The name a broker's single log dir goes by (AlterReplicaLogDirs compares against it). */
export function logDirOf(broker: Broker): string {
  return broker.dataDir === null ? '(in-memory)' : path.resolve(broker.dataDir);
}

function diskSpace(dir: string | null): { totalBytes: number; usableBytes: number } {
  if (dir === null) return { totalBytes: -1, usableBytes: -1 };
  try {
    const s = fs.statfsSync(dir);
    return { totalBytes: s.blocks * s.bsize, usableBytes: s.bavail * s.bsize };
  } catch {
    return { totalBytes: -1, usableBytes: -1 };
  }
}

export const describeLogDirsApi = defineApi(
  M.DescribeLogDirsApi,
  [0, 4],
  { decodeRequest: M.decodeDescribeLogDirsRequest, encodeResponse: M.encodeDescribeLogDirsResponse },
  ({ broker }, req): M.DescribeLogDirsResponse => {
    const wanted = req.topics === null ? null : new Map(req.topics.map((t) => [t.topic, new Set(t.partitions)]));
    const byTopic = new Map<string, M.DescribeLogDirsResponseDescribeLogDirsPartition[]>();
    const hosted = broker.replicaManager.allPartitions().sort((a, b) => (a.topic === b.topic ? a.index - b.index : a.topic < b.topic ? -1 : 1));
    for (const p of hosted) {
      if (wanted && !wanted.get(p.topic)?.has(p.index)) continue;
      let list = byTopic.get(p.topic);
      if (!list) byTopic.set(p.topic, (list = []));
      list.push({ partitionIndex: p.index, partitionSize: p.log.size(), offsetLag: Math.max(0, p.highWatermark - p.log.logEndOffset), isFutureKey: false });
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      results: [
        {
          errorCode: ErrorCode.NONE,
          logDir: logDirOf(broker),
          topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
          ...diskSpace(broker.dataDir),
        },
      ],
    };
  },
  // Kafka answers a failure with the top-level code only (v3+); below v3, which has no such
  // field, one result carries it, so the failure cannot pass for "no log dirs".
  (_req, code, v) => ({
    throttleTimeMs: 0,
    errorCode: code,
    results: v >= 3 ? [] : [{ errorCode: code, logDir: '', topics: [], totalBytes: -1, usableBytes: -1 }],
  }),
);

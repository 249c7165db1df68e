// The group coordinator's durable state: an internal log in the record-batch format (Kafka's
// __consumer_offsets, one partition), at <dataDir>/__consumer_offsets-0 or in memory. Each
// record is keyed like Kafka's:
//
//   OffsetCommitKey    int16 version(1), string group, string topic, int32 partition
//   OffsetCommitValue  v3: int16 3, int64 offset, int32 leaderEpoch, string metadata, int64 commitTimestamp
//                      v1: int16 1, int64 offset, string metadata, int64 commitTimestamp, int64 expireTimestamp
//   GroupMetadataKey   int16 version(2), string group
//   GroupMetadataValue int16 3, string protocolType, int32 generation, nullable string protocol,
//                      nullable string leader, int64 currentStateTimestamp, members[ string memberId,
//                      nullable string groupInstanceId, string clientId, string clientHost,
//                      int32 rebalanceTimeout, int32 sessionTimeout, bytes subscription, bytes assignment ]
//
// A null value is a tombstone. The last record for a key wins when the log is replayed on
// start. The log is not compacted in the background; instead, once it holds many more
// records than live keys, the live state is re-appended as a snapshot after a segment roll
// and the log start offset moves to the snapshot, which deletes the older segments.
import path from 'node:path';
import { LogConfig } from '../../log/LogConfig.js';
import { UnifiedLog } from '../../log/UnifiedLog.js';
import type { Logger } from '../../logger.js';
import { Reader, Writer } from '../../protocol/primitives.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../protocol/recordBatch.js';
import { effectiveTopicConfigs, type KafkaConfig } from '../KafkaConfig.js';

export const GROUP_METADATA_TOPIC = '__consumer_offsets';
export const GROUP_METADATA_DIR = `${GROUP_METADATA_TOPIC}-0`;

export interface OffsetAndMetadata {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** -1 unless the commit carried a retention time (OffsetCommit v2–4). */
  expireTimestamp: number;
}

export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface StoredGroup {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: number;
  members: StoredMember[];
}

export type GroupLogRecord =
  | { kind: 'offset'; group: string; topic: string; partition: number; value: OffsetAndMetadata | null }
  | { kind: 'group'; group: string; value: StoredGroup | null };

const OFFSET_KEY_VERSION = 1;
const GROUP_KEY_VERSION = 2;
const SEGMENT_BYTES = 100 * 1024 * 1024; // Kafka's offsets.topic.segment.bytes
const RECORDS_PER_BATCH = 500;
/** Compact when the log holds more than this many records beyond twice the live keys. */
const COMPACTION_SLACK = 10_000;

export function encodeKey(rec: GroupLogRecord): Buffer {
  const w = new Writer(64);
  if (rec.kind === 'offset') w.int16(OFFSET_KEY_VERSION).string(rec.group).string(rec.topic).int32(rec.partition);
  else w.int16(GROUP_KEY_VERSION).string(rec.group);
  return w.toBuffer();
}

export function encodeValue(rec: GroupLogRecord): Buffer | null {
  if (rec.value === null) return null;
  const w = new Writer(128);
  if (rec.kind === 'offset') {
    const v = rec.value;
    if (v.expireTimestamp >= 0) w.int16(1).int64(v.offset).string(v.metadata).int64(v.commitTimestamp).int64(v.expireTimestamp);
    else w.int16(3).int64(v.offset).int32(v.leaderEpoch).string(v.metadata).int64(v.commitTimestamp);
  } else {
    const g = rec.value;
    w.int16(3).string(g.protocolType).int32(g.generation).nullableString(g.protocol).nullableString(g.leader).int64(g.currentStateTimestamp);
    w.arrayLength(g.members.length);
    for (const m of g.members) {
      w.string(m.memberId).nullableString(m.groupInstanceId).string(m.clientId).string(m.clientHost);
      w.int32(m.rebalanceTimeoutMs).int32(m.sessionTimeoutMs).bytes(m.subscription).bytes(m.assignment);
    }
  }
  return w.toBuffer();
}

/** Decode one record; null for keys this coordinator does not know (skipped, as Kafka does). */
export function decodeRecord(key: Buffer, value: Buffer | null): GroupLogRecord | null {
  const k = new Reader(key);
  const keyVersion = k.int16();
  if (keyVersion === 0 || keyVersion === 1) {
    const group = k.string();
    const topic = k.string();
    const partition = k.int32();
    if (value === null) return { kind: 'offset', group, topic, partition, value: null };
    const r = new Reader(value);
    const version = r.int16();
    const offset = r.int64();
    const leaderEpoch = version >= 3 ? r.int32() : -1;
    const metadata = r.string();
    const commitTimestamp = r.int64();
    const expireTimestamp = version === 1 ? r.int64() : -1;
    return { kind: 'offset', group, topic, partition, value: { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp } };
  }
  if (keyVersion === 2) {
    const group = k.string();
    if (value === null) return { kind: 'group', group, value: null };
    const r = new Reader(value);
    const version = r.int16();
    const protocolType = r.string();
    const generation = r.int32();
    const protocol = r.nullableString();
    const leader = r.nullableString();
    const currentStateTimestamp = version >= 2 ? r.int64() : -1;
    const members: StoredMember[] = [];
    const n = r.arrayLength();
    for (let i = 0; i < n; i++) {
      const memberId = r.string();
      const groupInstanceId = version >= 3 ? r.nullableString() : null;
      const clientId = r.string();
      const clientHost = r.string();
      const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1;
      const sessionTimeoutMs = r.int32();
      const subscription = Buffer.from(r.bytes());
      const assignment = Buffer.from(r.bytes());
      members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs, sessionTimeoutMs, subscription, assignment });
    }
    return { kind: 'group', group, value: { protocolType, generation, protocol, leader, currentStateTimestamp, members } };
  }
  return null;
}

function recordKey(rec: GroupLogRecord): string {
  return rec.kind === 'offset' ? `o\0${rec.group}\0${rec.topic}\0${rec.partition}` : `g\0${rec.group}`;
}

export class GroupMetadataLog {
  /** Records in the log from its start offset (live or dead), to decide when to compact. */
  private recordsInLog = 0;
  private readonly live = new Set<string>();

  private constructor(
    private readonly log: UnifiedLog,
    private readonly logger: Logger,
  ) {}

  /** Open (creating if needed) the internal log under dataDir, or in memory when dataDir is null. */
  static open(dataDir: string | null, config: KafkaConfig, logger: Logger): GroupMetadataLog {
    const props: Record<string, string> = {};
    // Broker defaults (flush.*, index sizes, ...) with Kafka's settings for __consumer_offsets.
    for (const c of effectiveTopicConfigs(config, { 'cleanup.policy': 'compact', 'segment.bytes': String(SEGMENT_BYTES) })) props[c.name] = c.value;
    const logConfig = LogConfig.fromProperties(props);
    const dir = dataDir === null ? null : path.join(dataDir, GROUP_METADATA_DIR);
    return new GroupMetadataLog(UnifiedLog.open(dir, logConfig, { logger }), logger);
  }

  /** Replay every record from the log start offset, in order. */
  load(visit: (rec: GroupLogRecord) => void): number {
    let offset = this.log.logStartOffset;
    const end = this.log.logEndOffset;
    let count = 0;
    while (offset < end) {
      const { records } = this.log.read(offset, 1 << 20, end, true);
      if (!records) break;
      const batches = decodeRecordBatches(records);
      if (batches.length === 0) break;
      for (const b of batches) {
        for (const r of b.records) {
          if (r.offset < offset || r.key === null) continue;
          let rec: GroupLogRecord | null;
          try {
            rec = decodeRecord(r.key, r.value);
          } catch (err) {
            this.logger.warn(`skipping undecodable record at offset ${r.offset}: ${(err as Error).message}`);
            continue;
          }
          count++;
          if (!rec) continue;
          this.track(rec);
          visit(rec);
        }
        offset = b.lastOffset + 1;
      }
    }
    this.recordsInLog = count;
    return count;
  }

  private track(rec: GroupLogRecord): void {
    const k = recordKey(rec);
    if (rec.value === null) this.live.delete(k);
    else this.live.add(k);
  }

  /** Append records as one or more batches (throws on a storage error). */
  append(records: GroupLogRecord[]): void {
    if (records.length === 0) return;
    for (let i = 0; i < records.length; i += RECORDS_PER_BATCH) {
      const chunk = records.slice(i, i + RECORDS_PER_BATCH);
      const now = Date.now();
      const batch = encodeRecordBatch({ records: chunk.map((r) => ({ key: encodeKey(r), value: encodeValue(r), timestamp: now })) });
      this.log.appendAsLeader(batch, 0);
    }
    for (const r of records) this.track(r);
    this.recordsInLog += records.length;
  }

  get liveKeys(): number {
    return this.live.size;
  }

  /**
   * If the log holds far more records than live keys, write the live state (as given by
   * snapshot()) after a roll and drop everything before it.
   */
  maybeCompact(snapshot: () => GroupLogRecord[]): void {
    if (this.recordsInLog <= 2 * this.live.size + COMPACTION_SLACK) return;
    const before = this.recordsInLog;
    const records = snapshot();
    this.log.roll();
    const start = this.log.logEndOffset;
    this.live.clear();
    this.recordsInLog = 0;
    this.append(records);
    this.log.deleteRecordsBefore(start);
    this.logger.info(`compacted the group metadata log: ${before} records → ${records.length} (log start offset ${start})`);
  }

  maybeFlush(now: number): void {
    this.log.maybeFlush(now);
  }

  close(): void {
    this.log.close();
  }
}

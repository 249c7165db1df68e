// The records of Kafka's internal `__consumer_offsets` topic, where the group coordinator
// keeps committed offsets and group metadata, and which partition of it holds a group. Each
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
// A null value is a tombstone; replaying a partition's log from its start offset, the last
// record of each key wins. A group lives in partition abs(groupId.hashCode()) % partitions,
// with Java's String.hashCode and Kafka's Utils.abs, so a group lands where Kafka puts it.
//
// A committed offset is kept exactly over the whole int64 range (Int64: a bigint beyond
// ±(2^53-1)), since OffsetFetch must hand back what was committed. The timestamps are numbers:
// reading one beyond ±(2^53-1) throws, and so does writing one (never a wrapped value).
import { Reader, Writer, type Int64 } from '../../protocol/primitives.js';
import type { KafkaConfig } from '../../common/KafkaConfig.js';
import type { CoordinatorRecordCodec } from './OffsetsPartition.js';

export const GROUP_METADATA_TOPIC = '__consumer_offsets';

/** Java's String.hashCode(): s[0]*31^(n-1) + … + s[n-1] over UTF-16 code units, in int32 arithmetic. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's partitionFor(groupId): Utils.abs(groupId.hashCode()) % partitions (Utils.abs(MIN_VALUE) is 0). */
export function partitionForGroup(groupId: string, partitions: number): number {
  const h = javaStringHashCode(groupId);
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}

/** Topic configs the coordinator creates __consumer_offsets with (Kafka's offsetsTopicConfigs). */
export function offsetsTopicConfigs(config: KafkaConfig): Record<string, string> {
  return { 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': config.get('offsets.topic.segment.bytes') };
}

export interface OffsetAndMetadata {
  /** Exactly as committed, over the whole int64 range. */
  offset: Int64;
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
    if (v.expireTimestamp >= 0) w.int16(1).int64Exact(v.offset).string(v.metadata).int64(v.commitTimestamp).int64(v.expireTimestamp);
    else w.int16(3).int64Exact(v.offset).int32(v.leaderEpoch).string(v.metadata).int64(v.commitTimestamp);
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
    const offset = r.int64Exact();
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

/** Whether a tombstone also removes `rec` of a transaction still open: a group's tombstone removes the group's offsets. */
export function tombstoneCovers(tombstone: GroupLogRecord, rec: GroupLogRecord): boolean {
  return tombstone.kind === 'group' && rec.group === tombstone.group;
}

export function recordKey(rec: GroupLogRecord): string {
  return rec.kind === 'offset' ? `o\0${rec.group}\0${rec.topic}\0${rec.partition}` : `g\0${rec.group}`;
}

/** How __consumer_offsets records are stored, for the coordinator runtime. */
export const groupRecordCodec: CoordinatorRecordCodec<GroupLogRecord> = {
  decode: decodeRecord,
  encodeKey,
  encodeValue,
  keyOf: recordKey,
  isTombstone: (rec) => rec.value === null,
  // Group metadata first, then offsets.
  compactionRank: (rec) => (rec.kind === 'group' ? 0 : 1),
  loadCrashPoint: 'group.load',
  tombstoneCovers,
};

// AlterReplicaLogDirs v0–2: a broker here has one log dir, so the only move that makes sense is
// to the dir a replica is already in (a no-op, NONE). Any other path is LOG_DIR_NOT_FOUND, as
// Kafka answers a dir that is not one of its log.dirs; a partition this broker does not host is
// REPLICA_NOT_AVAILABLE.
import { ErrorCode } from '../../protocol/errors.js';
import * as M from '../../protocol/messages/index.js';
import { defineApi } from './Api.js';
import { logDirOf } from './35_describeLogDirs.js';

export const alterReplicaLogDirsApi = defineApi(
  M.AlterReplicaLogDirsApi,
  [0, 2],
  { decodeRequest: M.decodeAlterReplicaLogDirsRequest, encodeResponse: M.encodeAlterReplicaLogDirsResponse },
  ({ broker }, req): M.AlterReplicaLogDirsResponse => {
    const ours = logDirOf(broker);
    const results = new Map<string, M.AlterReplicaLogDirsResponseAlterReplicaLogDirPartitionResult[]>();
    for (const dir of req.dirs) {
      for (const t of dir.topics) {
        let list = results.get(t.name);
        if (!list) results.set(t.name, (list = []));
        for (const partitionIndex of t.partitions) {
          const errorCode =
            dir.path !== ours ? ErrorCode.LOG_DIR_NOT_FOUND : broker.replicaManager.getPartition(t.name, partitionIndex) === undefined ? ErrorCode.REPLICA_NOT_AVAILABLE : ErrorCode.NONE;
          list.push({ partitionIndex, errorCode });
        }
      }
    }
    return { throttleTimeMs: 0, results: [...results].map(([topicName, partitions]) => ({ topicName, partitions })) };
  },
  (req, code) => ({
    throttleTimeMs: 0,
    results: req.dirs.flatMap((d) => d.topics.map((t) => ({ topicName: t.name, partitions: t.partitions.map((partitionIndex) => ({ partitionIndex, errorCode: code })) }))),
  }),
);

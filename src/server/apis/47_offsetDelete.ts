// OffsetDelete v0: removes committed offsets of a group. Partitions of unknown topics are
// UNKNOWN_TOPIC_OR_PARTITION (checked first, as Kafka does). Group-level errors: unknown
// group GROUP_ID_NOT_FOUND, a classic group with members NON_EMPTY_GROUP unless it uses the
// consumer protocol, in which case topics it subscribes to are GROUP_SUBSCRIBED_TO_TOPIC and
// the others are deleted. Empty group id: INVALID_GROUP_ID.
import { ErrorCode } from '../../protocol/errors.js';
import { decodeOffsetDeleteRequest, encodeOffsetDeleteResponse, OffsetDeleteApi } from '../../protocol/messages/OffsetDelete.js';
import type { OffsetDeleteResponse } from '../../protocol/messages/OffsetDelete.js';
import type { DeletedOffsets } from '../group/GroupCoordinator.js';
import { defineApi } from './Api.js';

export const offsetDeleteApi = defineApi(
  OffsetDeleteApi,
  [0, 0],
  { decodeRequest: decodeOffsetDeleteRequest, encodeResponse: encodeOffsetDeleteResponse },
  (ctx, req): OffsetDeleteResponse | Promise<OffsetDeleteResponse> => {
    const { broker } = ctx;
    const unknown: OffsetDeleteResponse['topics'] = [];
    const valid: { name: string; partitions: number[] }[] = [];
    for (const t of req.topics) {
      const meta = broker.metadata.get(t.name);
      const bad = t.partitions.filter((p) => !meta || p.partitionIndex < 0 || p.partitionIndex >= meta.partitions);
      const good = t.partitions.filter((p) => !bad.includes(p));
      if (bad.length > 0) unknown.push({ name: t.name, partitions: bad.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })) });
      if (good.length > 0) valid.push({ name: t.name, partitions: good.map((p) => p.partitionIndex) });
    }
    const r = broker.groupCoordinator.deleteOffsets(req.groupId, valid);
    const respond = (d: DeletedOffsets): OffsetDeleteResponse => ({ errorCode: d.errorCode, throttleTimeMs: 0, topics: [...unknown, ...d.topics] });
    return r instanceof Promise ? r.then(respond) : respond(r);
  },
  (_req, code) => ({ errorCode: code, throttleTimeMs: 0, topics: [] }),
);

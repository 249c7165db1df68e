// CreatePartitions v0–3: grow a topic to `count` partitions (never shrink: INVALID_PARTITIONS),
// forwarded to the controller, which places the new replicas (or checks given assignments).
// The partitions added count against the client's controller_mutation_rate (KIP-599): from v3 on
// strictly, a topic that finds the quota exhausted is THROTTLING_QUOTA_EXCEEDED and not grown;
// before v3 all are grown and the response is throttled. As in Kafka's controller, a topic is
// charged once it passed the checks before the quota's (it exists, grows, has as many
// assignments as new partitions; checked here against this broker's metadata), validate-only too.
import { ErrorCode } from '../../protocol/errors.js';
import { CreatePartitionsApi, decodeCreatePartitionsRequest, encodeCreatePartitionsResponse } from '../../protocol/messages/CreatePartitions.js';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../../protocol/messages/CreatePartitions.js';
import type { Broker } from '../Broker.js';
import { controllerMutationQuotaFor, throttleWithControllerQuota } from '../quota/mutationQuota.js';
import { defineApi } from './Api.js';

type Topic = CreatePartitionsRequest['topics'][number];

export const createPartitionsApi = defineApi(
  CreatePartitionsApi,
  [0, 3],
  { decodeRequest: decodeCreatePartitionsRequest, encodeResponse: encodeCreatePartitionsResponse },
  async (ctx, req): Promise<CreatePartitionsResponse> => {
    const quota = controllerMutationQuotaFor(ctx, 3);
    const refused = new Set<Topic>();
    const seen = new Set<string>();
    for (const t of req.topics) {
      const added = additional(ctx.broker, t);
      if (added === null || seen.has(t.name)) continue;
      seen.add(t.name);
      if (!quota.record(added)) refused.add(t);
    }
    const rest = req.topics.filter((t) => !refused.has(t));
    const res = refused.size === 0 ? await ctx.broker.createPartitions(req) : rest.length === 0 ? { throttleTimeMs: 0, results: [] } : await ctx.broker.createPartitions({ ...req, topics: rest });
    let next = 0;
    const results = req.topics.map((t) =>
      refused.has(t) ? { name: t.name, errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED, errorMessage: null } : res.results[next++] ?? { name: t.name, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null },
    );
    return throttleWithControllerQuota(ctx, quota, { ...res, results });
  },
  (req, code, _v, message = null) => ({ throttleTimeMs: 0, results: req.topics.map((t) => ({ name: t.name, errorCode: code, errorMessage: message })) }),
);

/** The partitions growing `t` adds, or null when the controller will refuse it before its quota check. */
function additional(broker: Broker, t: Topic): number | null {
  const current = broker.metadata.get(t.name)?.partitions;
  if (current === undefined || t.count <= current) return null;
  if (t.assignments !== null && t.assignments.length !== t.count - current) return null;
  return t.count - current;
}

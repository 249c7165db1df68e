// CreatePartitions v0–3: grow a topic to `count` partitions (never shrink: INVALID_PARTITIONS),
// forwarded to the controller, which places the new replicas (or checks given assignments).
import { CreatePartitionsApi, decodeCreatePartitionsRequest, encodeCreatePartitionsResponse } from '../../protocol/messages/CreatePartitions.js';
import type { CreatePartitionsResponse } from '../../protocol/messages/CreatePartitions.js';
import { defineApi } from './Api.js';

export const createPartitionsApi = defineApi(
  CreatePartitionsApi,
  [0, 3],
  { decodeRequest: decodeCreatePartitionsRequest, encodeResponse: encodeCreatePartitionsResponse },
  (ctx, req): Promise<CreatePartitionsResponse> => ctx.broker.createPartitions(req),
  (req, code, _v, message = null) => ({ throttleTimeMs: 0, results: req.topics.map((t) => ({ name: t.name, errorCode: code, errorMessage: message })) }),
);

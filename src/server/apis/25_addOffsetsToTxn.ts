// AddOffsetsToTxn v0–4: adds the group's partition of __consumer_offsets
// (abs(groupId.hashCode()) % its partition count, offsets.topic.num.partitions before it
// exists) to the producer's transaction, as AddPartitionsToTxn does; the commit/abort marker then
// goes to that partition too, where the group coordinator applies or drops the transaction's
// offsets. PRODUCER_FENCED is INVALID_PRODUCER_EPOCH below v2. (v4 only adds
// TRANSACTION_ABORTABLE to the errors a client may get; this coordinator never answers it here.)
import { ErrorCode } from '../../protocol/errors.js';
import { AddOffsetsToTxnApi, decodeAddOffsetsToTxnRequest, encodeAddOffsetsToTxnResponse } from '../../protocol/messages/AddOffsetsToTxn.js';
import { GROUP_METADATA_TOPIC, partitionForGroup } from '../group/GroupMetadataRecords.js';
import { tpKey } from '../transaction/TransactionMetadata.js';
import { defineApi } from './Api.js';

export const addOffsetsToTxnApi = defineApi(
  AddOffsetsToTxnApi,
  [0, 4],
  { decodeRequest: decodeAddOffsetsToTxnRequest, encodeResponse: encodeAddOffsetsToTxnResponse },
  async (ctx, req) => {
    const { broker } = ctx;
    const count = broker.image.topics.get(GROUP_METADATA_TOPIC)?.partitions.length || Math.max(1, broker.config.int('offsets.topic.num.partitions'));
    const partition = tpKey(GROUP_METADATA_TOPIC, partitionForGroup(req.groupId, count));
    const code = await broker.transactionCoordinator.handleAddPartitionsToTransaction(req.transactionalId, req.producerId, req.producerEpoch, [partition]);
    return { throttleTimeMs: 0, errorCode: code === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2 ? ErrorCode.INVALID_PRODUCER_EPOCH : code };
  },
  (_req, code) => ({ throttleTimeMs: 0, errorCode: code }),
);

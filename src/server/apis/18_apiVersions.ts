// ApiVersions v0–5 (v4 is v3 on the wire; it only lets a feature's min version be 0). The
// table is read off the API modules in this folder, so what we advertise is exactly what we
// serve. A version we do not know (v6+) gets the v0-shaped UNSUPPORTED_VERSION reply holding
// our own range, so clients fall back (see KafkaApis). v3+'s client software name and version
// must match Kafka's pattern, else INVALID_REQUEST. v5 (KIP-1242, as Kafka 4.4's KafkaApis and
// ApiVersionsRequest.isValid): cluster_id and node_id come together or not at all (else
// INVALID_REQUEST); a client naming another cluster or node than this broker gets
// REBOOTSTRAP_REQUIRED, with no API table.
import { ErrorCode } from '../../protocol/errors.js';
import { ApiVersionsApi, decodeApiVersionsRequest, defaultApiVersionsResponse, encodeApiVersionsResponse } from '../../protocol/messages/ApiVersions.js';
import type { ApiVersionsResponse } from '../../protocol/messages/ApiVersions.js';
import { Writer } from '../../protocol/primitives.js';
import { defineApi } from './Api.js';
import { API_LIST } from './index.js';

import { API_VERSIONS_KEY } from '../../network/RequestDispatcher.js';
const MIN = 0;
const MAX = 5;

const SOFTWARE_PATTERN = /^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?$/;

/**
 * The features a Kafka 3.9 broker supports (KIP-584, KIP-778; metadata.version 21 is 3.9-IV0)
 * and those it finalizes on a fresh 3.9 cluster: metadata.version only (kraft, group and
 * transaction versions stay at level 0, which is not listed; transactions are served as
 * transaction.version 1 semantics of KIP-890 part 1, never 2).
 */
export const SUPPORTED_FEATURES = [
  { name: 'group.version', minVersion: 0, maxVersion: 1 },
  { name: 'kraft.version', minVersion: 0, maxVersion: 1 },
  { name: 'metadata.version', minVersion: 1, maxVersion: 21 },
  { name: 'transaction.version', minVersion: 0, maxVersion: 1 },
];
export const FINALIZED_FEATURES = [{ name: 'metadata.version', maxVersionLevel: 21, minVersionLevel: 21 }];

function table(): ApiVersionsResponse['apiKeys'] {
  return API_LIST.map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion }));
}

export const apiVersionsApi = defineApi(
  ApiVersionsApi,
  [MIN, MAX],
  { decodeRequest: decodeApiVersionsRequest, encodeResponse: encodeApiVersionsResponse },
  (ctx, req): ApiVersionsResponse => {
    const v = ctx.apiVersion;
    const clusterId = req.clusterId ?? null;
    const nodeId = req.nodeId ?? -1;
    const invalid =
      (v >= 5 && (clusterId === null) !== (nodeId === -1)) ||
      (v >= 3 && !(SOFTWARE_PATTERN.test(req.clientSoftwareName) && SOFTWARE_PATTERN.test(req.clientSoftwareVersion)));
    const stale = v >= 5 && clusterId !== null && (clusterId !== ctx.broker.clusterId || nodeId !== ctx.broker.nodeId);
    const code = invalid ? ErrorCode.INVALID_REQUEST : stale ? ErrorCode.REBOOTSTRAP_REQUIRED : ErrorCode.NONE;
    return {
      errorCode: code,
      apiKeys: code !== ErrorCode.NONE ? [] : table(),
      throttleTimeMs: 0,
      supportedFeatures: invalid ? [] : SUPPORTED_FEATURES,
      // KRaft's features epoch: the metadata log offset the broker's image is at
      finalizedFeaturesEpoch: invalid ? -1 : Math.max(0, ctx.broker.image.offset - 1),
      finalizedFeatures: invalid ? [] : FINALIZED_FEATURES,
      zkMigrationReady: false,
    };
  },
  // Kafka's own shape: the code and no API table, except that UNSUPPORTED_VERSION lists
  // ApiVersions' own range (KIP-511) so the client can pick a version it shares.
  (_req, code) => ({
    ...defaultApiVersionsResponse(),
    errorCode: code,
    apiKeys: code === ErrorCode.UNSUPPORTED_VERSION ? [{ apiKey: API_VERSIONS_KEY, minVersion: MIN, maxVersion: MAX }] : [],
  }),
);

/** The v0-shaped reply to an ApiVersions version we do not serve (response header v0). */
export function encodeUnsupportedApiVersions(correlationId: number): Buffer[] {
  const w = new Writer(32);
  const size = w.reserveInt32();
  w.int32(correlationId);
  encodeApiVersionsResponse(w, 0, {
    errorCode: ErrorCode.UNSUPPORTED_VERSION,
    apiKeys: [{ apiKey: API_VERSIONS_KEY, minVersion: MIN, maxVersion: MAX }],
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1,
    finalizedFeatures: [],
    zkMigrationReady: false,
  });
  w.patchInt32(size, w.length - 4);
  return w.chunks();
}

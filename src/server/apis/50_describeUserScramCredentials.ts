// DescribeUserScramCredentials v0: the SCRAM credentials (mechanism and iterations, never keys)
// of the users asked for, or of every user when none are named, from this broker's metadata.
import { decodeDescribeUserScramCredentialsRequest, DescribeUserScramCredentialsApi, encodeDescribeUserScramCredentialsResponse } from '../../protocol/messages/DescribeUserScramCredentials.js';
import { describeScramCredentials } from '../ScramCredentials.js';
import { defineApi } from './Api.js';

export const describeUserScramCredentialsApi = defineApi(
  DescribeUserScramCredentialsApi,
  [0, 0],
  { decodeRequest: decodeDescribeUserScramCredentialsRequest, encodeResponse: encodeDescribeUserScramCredentialsResponse },
  (ctx, req) => describeScramCredentials(ctx.broker.image, req.users?.map((u) => u.name) ?? null),
  (_req, code, _v, message = null) => ({ throttleTimeMs: 0, errorCode: code, errorMessage: message, results: [] }),
);

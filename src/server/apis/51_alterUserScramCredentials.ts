// AlterUserScramCredentials v0: forwarded to the controller (replication/ScramControl.ts has the
// rules); answered once this broker's metadata holds the committed changes.
import { AlterUserScramCredentialsApi, decodeAlterUserScramCredentialsRequest, encodeAlterUserScramCredentialsResponse } from '../../protocol/messages/AlterUserScramCredentials.js';
import { defineApi } from './Api.js';

export const alterUserScramCredentialsApi = defineApi(
  AlterUserScramCredentialsApi,
  [0, 0],
  { decodeRequest: decodeAlterUserScramCredentialsRequest, encodeResponse: encodeAlterUserScramCredentialsResponse },
  (ctx, req) => ctx.broker.alterUserScramCredentials(req),
  (req, code, _v, message = null) => {
    const users = new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)]);
    return { throttleTimeMs: 0, results: [...users].map((user) => ({ user, errorCode: code, errorMessage: message })) };
  },
);

// SaslAuthenticate v0–2 on a listener without SASL: ILLEGAL_SASL_STATE, as Kafka's KafkaApis
// answers it. On SASL listeners security/SaslAuthenticator.ts serves it.
import { ErrorCode } from '../../protocol/errors.js';
import { decodeSaslAuthenticateRequest, encodeSaslAuthenticateResponse, SaslAuthenticateApi } from '../../protocol/messages/SaslAuthenticate.js';
import { defineApi } from './Api.js';

const MESSAGE = 'SaslAuthenticate request received after successful authentication';

export const saslAuthenticateApi = defineApi(
  SaslAuthenticateApi,
  [0, 2],
  { decodeRequest: decodeSaslAuthenticateRequest, encodeResponse: encodeSaslAuthenticateResponse },
  () => ({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: MESSAGE, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 }),
  (_req, code, _v, message = null) => ({ errorCode: code, errorMessage: message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 }),
);

// SaslHandshake v0–1 on a listener without SASL (or after authentication ended): Kafka's
// KafkaApis answers ILLEGAL_SASL_STATE. On SASL listeners security/SaslAuthenticator.ts serves it.
import { ErrorCode } from '../../protocol/errors.js';
import { decodeSaslHandshakeRequest, encodeSaslHandshakeResponse, SaslHandshakeApi } from '../../protocol/messages/SaslHandshake.js';
import { defineApi } from './Api.js';

export const saslHandshakeApi = defineApi(
  SaslHandshakeApi,
  [0, 1],
  { decodeRequest: decodeSaslHandshakeRequest, encodeResponse: encodeSaslHandshakeResponse },
  () => ({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }),
  (_req, code) => ({ errorCode: code, mechanisms: [] }),
);

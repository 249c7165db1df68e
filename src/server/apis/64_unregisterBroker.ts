// UnregisterBroker v0: forwarded to the controller, which takes the broker out of every ISR and
// removes its registration (BROKER_ID_NOT_REGISTERED for an unknown id).
import * as M from '../../protocol/messages/index.js';
import { defineApi } from './Api.js';

export const unregisterBrokerApi = defineApi(
  M.UnregisterBrokerApi,
  [0, 0],
  { decodeRequest: M.decodeUnregisterBrokerRequest, encodeResponse: M.encodeUnregisterBrokerResponse },
  async (ctx, req): Promise<M.UnregisterBrokerResponse> => {
    const res = await ctx.broker.forwardToController(M.UnregisterBrokerApi.key, 0, M.encodeUnregisterBrokerRequest, M.decodeUnregisterBrokerResponse, req);
    await ctx.broker.catchUpWithController();
    return res;
  },
  (_req, code) => ({ throttleTimeMs: 0, errorCode: code, errorMessage: null }),
);

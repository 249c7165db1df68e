// The broker's flavour of network/Api.ts: every API module in this folder is defined over a
// RequestContext, which adds the broker to what every handler knows about its request.
import { defineApi as defineAnyApi, type Api, type BaseContext } from '../../network/Api.js';
import type { Broker } from '../Broker.js';

export { apiErrorMessage, NO_RESPONSE, type Api, type BaseContext } from '../../network/Api.js';

/** A broker API handler's context. */
export interface RequestContext extends BaseContext {
  broker: Broker;
}

/** network/Api.ts's defineApi, over the broker's context unless told otherwise. */
export const defineApi: <Req, Res, Ctx extends BaseContext = RequestContext>(
  ...args: Parameters<typeof defineAnyApi<Req, Res, Ctx>>
) => Api<Req, Res, Ctx> = defineAnyApi;

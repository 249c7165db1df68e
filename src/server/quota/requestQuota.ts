// request_percentage (KIP-124): the share of one request-handler thread a client may use, in
// percent per second. Kafka records each request's time on its handler thread
// (ClientRequestQuotaManager); here that is the time the handler runs on the event loop: its
// synchronous part, which for most APIs is all of its work (the waits of acks=all, parked
// fetches and controller round trips are not counted, as Kafka does not count them either).
// Over the quota the response carries the throttle time (at most one quota window) and the
// connection is muted for it, as for the byte-rate quotas.
// Not throttled, as in Kafka: broker-to-broker requests (cluster actions: follower fetches,
// WriteTxnMarkers, AddPartitionsToTxn v4+ verification) and the SASL exchange; acks=0 produce
// only counts against producer_byte_rate. Fetch checks this quota itself (an over-quota fetch
// is answered empty, see throttle.ts).
import { NO_RESPONSE, type Api, type RequestContext } from '../apis/Api.js';
import type { QuotaSensor } from './ClientQuotaManager.js';
import { quotasOf } from './BrokerQuotas.js';

const PRODUCE = 0;
const FETCH = 1;
const SASL_HANDSHAKE = 17;
const WRITE_TXN_MARKERS = 27;
const ADD_PARTITIONS_TO_TXN = 24;
const SASL_AUTHENTICATE = 36;

/** Percent of a thread per second that `ms` of handler time is (Kafka's nanosToPercentage). */
export function msToPercentage(ms: number): number {
  return ms / 10;
}

/** The request quota sensor a request is held to, or null. */
export function requestSensor(ctx: RequestContext): QuotaSensor | null {
  const q = quotasOf(ctx.broker);
  return q.sensor(q.request, ctx.conn, ctx.clientId);
}

/** Record `ms` of handler time; the throttle time (0: none), the connection muted for it. */
export function throttleRequest(ctx: RequestContext, sensor: QuotaSensor, ms: number): number {
  const q = quotasOf(ctx.broker);
  const throttle = q.request.recordAndGetThrottleTimeMs(sensor, msToPercentage(ms), q.now());
  q.throttle(ctx.conn, throttle);
  return throttle;
}

function exempt(key: number, ctx: RequestContext, req: unknown): boolean {
  if (key === PRODUCE) return (req as { acks: number }).acks === 0;
  return key === FETCH || key === SASL_HANDSHAKE || key === SASL_AUTHENTICATE || key === WRITE_TXN_MARKERS || (key === ADD_PARTITIONS_TO_TXN && ctx.apiVersion >= 4);
}

/** An API whose handler time counts against its client's request_percentage. */
export function withRequestQuota<Req, Res>(api: Api<Req, Res, RequestContext>): Api<Req, Res, RequestContext> {
  const inner = api.handle;
  return {
    ...api,
    handle: (ctx, req) => {
      const sensor = requestSensor(ctx);
      if (sensor === null || exempt(api.key, ctx, req)) return inner(ctx, req);
      const started = performance.now();
      const out = inner(ctx, req);
      const ms = performance.now() - started;
      const answer = (res: Res | typeof NO_RESPONSE): Res | typeof NO_RESPONSE => {
        const throttle = throttleRequest(ctx, sensor, ms);
        if (throttle <= 0 || res === NO_RESPONSE || typeof res !== 'object' || res === null || !('throttleTimeMs' in res)) return res;
        return { ...res, throttleTimeMs: Math.max((res as { throttleTimeMs: number }).throttleTimeMs, throttle) };
      };
      return out instanceof Promise ? out.then(answer) : answer(out);
    },
  };
}

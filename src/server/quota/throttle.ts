// The quota checks of Produce and Fetch, as KafkaApis makes them.
//
// Produce: once the produce is answered (after its appends, and for acks=all after the high
// watermark), the request's size is recorded against the client's producer_byte_rate; over the
// quota, the response carries the throttle time and the connection is muted for it (acks=0: no
// response, the mute alone).
// Fetch (consumers; followers are not client-quota'd): a fetch asks for no more than the quota
// allows in its window (Kafka's maxValueInQuotaWindow), the response's size is recorded against
// consumer_byte_rate, and over the quota the value is taken back and the client gets an empty
// response carrying the throttle time, with its connection muted for it.
import { Writer } from '../../protocol/primitives.js';
import { encodeFetchResponse, type FetchResponse } from '../../protocol/messages/Fetch.js';
import type { RequestContext } from '../apis/Api.js';
import type { QuotaSensor } from './ClientQuotaManager.js';
import { quotasOf } from './BrokerQuotas.js';

/** Record a produce request against its client's quota; the throttle time (0: none), the connection muted for it. */
export function throttleProduce(ctx: RequestContext): number {
  const q = quotasOf(ctx.broker);
  const sensor = q.sensor(q.produce, ctx.conn, ctx.clientId);
  if (sensor === null) return 0;
  const ms = q.produce.recordAndGetThrottleTimeMs(sensor, ctx.requestSize, q.now());
  q.throttle(ctx.conn, ms);
  return ms;
}

/** A consumer fetch's quota sensor, or null when none applies. */
export function fetchSensor(ctx: RequestContext): QuotaSensor | null {
  const q = quotasOf(ctx.broker);
  return q.sensor(q.fetch, ctx.conn, ctx.clientId);
}

/** The most a fetch held to `sensor` asks for at once. */
export function fetchQuotaBytes(ctx: RequestContext, sensor: QuotaSensor): number {
  return Math.min(2147483647, Math.floor(quotasOf(ctx.broker).fetch.maxValueInQuotaWindow(sensor)));
}

/**
 * Record a consumer fetch's response against its quota: the response itself when within it,
 * else the throttled empty response (the bytes taken back, the connection muted).
 */
export function throttleFetch(ctx: RequestContext, sensor: QuotaSensor, res: FetchResponse): FetchResponse {
  const q = quotasOf(ctx.broker);
  const now = q.now();
  const size = responseSize(ctx, res);
  const ms = q.fetch.recordAndGetThrottleTimeMs(sensor, size, now);
  if (ms <= 0) return res;
  q.fetch.unrecord(sensor, size, now);
  q.throttle(ctx.conn, ms);
  return { throttleTimeMs: ms, errorCode: res.errorCode, sessionId: res.sessionId, responses: [], nodeEndpoints: res.nodeEndpoints };
}

/** The response's size on the wire: size prefix, header (correlation id, tagged fields from v12) and body. */
function responseSize(ctx: RequestContext, res: FetchResponse): number {
  const w = new Writer(1024);
  encodeFetchResponse(w, ctx.apiVersion, res);
  return 4 + 4 + (ctx.apiVersion >= 12 ? 1 : 0) + w.length;
}

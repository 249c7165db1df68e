// The quota checks of Produce and Fetch, as KafkaApis makes them.
//
// Produce: once the produce is answered (after its appends, and for acks=all after the high
// watermark), the request's size is recorded against the client's producer_byte_rate; over the
// quota, the response carries the throttle time and the connection is muted for it (acks=0: no
// response, the mute alone).
// Fetch (consumers; followers are not client-quota'd): a fetch asks for no more than the quota
// allows in its window (Kafka's maxValueInQuotaWindow), the response's size is recorded against
// consumer_byte_rate and its handler time against request_percentage, and over either quota the
// bytes are taken back and the client gets an empty response carrying the throttle time, with
// its connection muted for it.
import { Writer } from '../../protocol/primitives.js';
import { encodeFetchResponse, type FetchResponse } from '../../protocol/messages/Fetch.js';
import type { RequestContext } from '../apis/Api.js';
import type { QuotaSensor } from './ClientQuotaManager.js';
import { quotasOf } from './BrokerQuotas.js';
import { msToPercentage } from './requestQuota.js';

/** Record a produce request against its client's quota; the throttle time (0: none), the connection muted for it. */
export function throttleProduce(ctx: RequestContext): number {
  const q = quotasOf(ctx.broker);
  const sensor = q.sensor(q.produce, ctx.conn, ctx.clientId);
  if (sensor === null) return 0;
  const ms = q.produce.recordAndGetThrottleTimeMs(sensor, ctx.requestSize, q.now());
  q.throttle(ctx.conn, ms);
  return ms;
}

/**
 * A consumer fetch's quotas (consumer_byte_rate, request_percentage), taken when it starts; made
 * only when one applies. The fetch's handler time is counted while it is not parked.
 */
export class FetchQuota {
  private handlerMs = 0;
  private resumedAt = performance.now();

  private constructor(
    private readonly ctx: RequestContext,
    private readonly bytes: QuotaSensor | null,
    private readonly request: QuotaSensor | null,
  ) {}

  static of(ctx: RequestContext): FetchQuota | null {
    const q = quotasOf(ctx.broker);
    const bytes = q.sensor(q.fetch, ctx.conn, ctx.clientId);
    const request = q.sensor(q.request, ctx.conn, ctx.clientId);
    return bytes === null && request === null ? null : new FetchQuota(ctx, bytes, request);
  }

  /** The most the fetch asks for at once (Kafka's maxValueInQuotaWindow). */
  maxBytes(): number {
    return Math.min(2147483647, Math.floor(quotasOf(this.ctx.broker).fetch.maxValueInQuotaWindow(this.bytes)));
  }

  /** The fetch parks (its time is not handler time until resume). */
  pause(): void {
    this.handlerMs += performance.now() - this.resumedAt;
  }

  resume(): void {
    this.resumedAt = performance.now();
  }

  /**
   * Record the fetch against its quotas: the response itself when within them, else the
   * throttled empty response (the bytes taken back, the connection muted for the longer throttle).
   */
  answer(res: FetchResponse): FetchResponse {
    const q = quotasOf(this.ctx.broker);
    const now = q.now();
    this.pause();
    const requestMs = this.request === null ? 0 : q.request.recordAndGetThrottleTimeMs(this.request, msToPercentage(this.handlerMs), now);
    const size = this.bytes === null ? 0 : responseSize(this.ctx, res);
    const bytesMs = this.bytes === null ? 0 : q.fetch.recordAndGetThrottleTimeMs(this.bytes, size, now);
    const ms = Math.max(requestMs, bytesMs);
    if (ms <= 0) return res;
    if (this.bytes !== null) q.fetch.unrecord(this.bytes, size, now);
    q.throttle(this.ctx.conn, ms);
    return { throttleTimeMs: ms, errorCode: res.errorCode, sessionId: res.sessionId, responses: [], nodeEndpoints: res.nodeEndpoints };
  }
}

/** The response's size on the wire: size prefix, header (correlation id, tagged fields from v12) and body. */
function responseSize(ctx: RequestContext, res: FetchResponse): number {
  const w = new Writer(1024);
  encodeFetchResponse(w, ctx.apiVersion, res);
  return 4 + 4 + (ctx.apiVersion >= 12 ? 1 : 0) + w.length;
}

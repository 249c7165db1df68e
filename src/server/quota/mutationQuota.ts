// The controller mutation quota of CreateTopics, CreatePartitions and DeleteTopics requests, as
// KafkaApis/ControllerApis take it (ControllerMutationQuotaManager.ts has the quota itself).
import type { RequestContext } from '../apis/Api.js';
import { quotasOf } from './BrokerQuotas.js';
import { UNBOUNDED_CONTROLLER_MUTATION_QUOTA, type ControllerMutationQuota } from './ControllerMutationQuotaManager.js';

/** A request's quota: strict from `strictSinceVersion` on, permissive before; unbounded when no quota applies to its client. */
export function controllerMutationQuotaFor(ctx: RequestContext, strictSinceVersion: number): ControllerMutationQuota {
  const q = quotasOf(ctx.broker);
  const sensor = q.sensor(q.controllerMutation, ctx.conn, ctx.clientId);
  if (sensor === null) return UNBOUNDED_CONTROLLER_MUTATION_QUOTA;
  return q.controllerMutation.newQuotaFor(sensor, ctx.apiVersion >= strictSinceVersion, () => q.now());
}

/**
 * Kafka's sendResponseMaybeThrottleWithControllerQuota: the response carries the quota's throttle
 * time (if longer than its own) and the connection is muted for it.
 */
export function throttleWithControllerQuota<R extends { throttleTimeMs: number }>(ctx: RequestContext, quota: ControllerMutationQuota, res: R): R {
  const ms = quota.throttleTime();
  if (ms <= 0) return res;
  quotasOf(ctx.broker).throttle(ctx.conn, ms);
  return { ...res, throttleTimeMs: Math.max(res.throttleTimeMs, ms) };
}

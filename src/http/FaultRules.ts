// A fault rule from JSON (POST /faults): the same object as `cluster.faults.add(rule)`, checked
// field by field so a typo is a 400 naming the field rather than a rule that never matches.
// JSON has no Infinity: `"times": "infinite"` (or null) makes a rule fire on every match, and an
// error `code` may be given by Kafka's name ("NOT_LEADER_OR_FOLLOWER") as well as by number.
import { API_LIST } from '../server/apis/index.js';
import { ErrorCode } from '../protocol/errors.js';
import type { FaultAction, FaultRule } from '../network/FaultInjector.js';

export class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const ACTIONS: readonly FaultAction[] = ['drop-response', 'delay-response', 'error', 'disconnect'];
const FIELDS = new Set(['api', 'broker', 'topic', 'partition', 'clientId', 'times', 'action', 'ms', 'code']);

export function apiNames(): string[] {
  return API_LIST.map((a) => a.name);
}

function int(v: unknown, field: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new BadRequest(`'${field}' must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new BadRequest(`'${field}' must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

export function parseFaultRule(body: unknown): FaultRule {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('a fault rule is a JSON object, e.g. {"api":"Produce","action":"drop-response"}');
  const o = body as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !FIELDS.has(k));
  if (unknown.length > 0) throw new BadRequest(`unknown field(s) ${unknown.map((k) => `'${k}'`).join(', ')}; a rule has ${[...FIELDS].join(', ')}`);
  const api = str(o.api, 'api');
  const names = apiNames();
  if (!names.includes(api)) throw new BadRequest(`unknown api '${api}'; one of ${names.join(', ')}`);
  const action = o.action as FaultAction;
  if (!ACTIONS.includes(action)) throw new BadRequest(`'action' must be one of ${ACTIONS.join(', ')}, got ${JSON.stringify(o.action)}`);
  const rule: FaultRule = { api, action };
  if (o.broker !== undefined) rule.broker = int(o.broker, 'broker', 0);
  if (o.topic !== undefined) rule.topic = str(o.topic, 'topic');
  if (o.partition !== undefined) rule.partition = int(o.partition, 'partition', 0);
  if (o.clientId !== undefined) rule.clientId = str(o.clientId, 'clientId');
  if (o.times === null || o.times === 'infinite' || o.times === 'Infinity') rule.times = Infinity;
  else if (o.times !== undefined) rule.times = int(o.times, 'times', 1);
  if (o.ms !== undefined) rule.ms = int(o.ms, 'ms', 0);
  if (action === 'delay-response' && rule.ms === undefined) throw new BadRequest(`a delay-response rule needs 'ms'`);
  if (o.code !== undefined) {
    if (typeof o.code === 'string') {
      const code = (ErrorCode as Record<string, number>)[o.code];
      if (code === undefined) throw new BadRequest(`unknown Kafka error '${o.code}' (e.g. NOT_LEADER_OR_FOLLOWER)`);
      rule.code = code;
    } else {
      rule.code = int(o.code, 'code', -1);
    }
  }
  if (action === 'error' && rule.code === undefined) throw new BadRequest(`an error rule needs 'code' (a Kafka error code or name)`);
  return rule;
}

/** A rule as JSON: Infinity (every match) written as "infinite". */
export function faultRuleJson(rule: FaultRule): Record<string, unknown> {
  return { ...rule, ...(rule.times === Infinity ? { times: 'infinite' } : {}) };
}

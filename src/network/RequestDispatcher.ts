// Frame → request header → the API's decoder → its handler → response frame.
//
// Kafka's rules for what cannot be served: an unknown API key or an unsupported version
// closes the connection with a logged reason, except ApiVersions, which answers any version
// it does not know with a v0-shaped UNSUPPORTED_VERSION reply (so clients can fall back).
// A body that does not decode closes the connection too (Kafka's InvalidRequestException).
// A handler that fails is answered with the API's error code where the API has an error shape
// (`errorResponse`), and closes the connection only where it has none.
// Brokers and the controller each run one over their own list of APIs.
import type { Logger } from '../logger.js';
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import { NetworkError } from './errors.js';
import { decodeRequestHeader, encodeResponseHeader } from '../protocol/messages/index.js';
import { Reader, Writer } from '../protocol/primitives.js';
import { apiErrorMessage, NO_RESPONSE, type Api, type BaseContext } from './Api.js';
import type { Connection, FrameHandler, Reply } from './Connection.js';
import { requestTargets, type FaultInjector } from './FaultInjector.js';
import type { ProduceCounts, RequestMetrics } from './RequestMetrics.js';

export const API_VERSIONS_KEY = 18;

export interface DispatcherOptions<Ctx extends BaseContext> {
  apis: Api<any, any, Ctx>[];
  makeContext(base: BaseContext): Ctx;
  log: Logger;
  /** Fault rules to consult, with the node id rules may name. */
  faults?: FaultInjector;
  nodeId: number;
  /** Request and per-topic traffic counters (Kafka's RequestMetrics, BrokerTopicStats). */
  metrics?: RequestMetrics;
  /** The reply to an ApiVersions version we do not serve. */
  unsupportedApiVersions?: (correlationId: number) => Buffer[];
}

export class RequestDispatcher<Ctx extends BaseContext> implements FrameHandler {
  private readonly byKey: Map<number, Api<any, any, Ctx>>;

  constructor(private readonly opts: DispatcherOptions<Ctx>) {
    this.byKey = new Map(opts.apis.map((a) => [a.key, a]));
  }

  handleFrame(frame: Buffer, conn: Connection): Reply | Promise<Reply> {
    const { log } = this.opts;
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const api = this.byKey.get(apiKey);
    if (!api) return { kind: 'close', reason: `unknown API key ${apiKey} (version ${apiVersion}, correlation id ${correlationId})` };
    if (apiVersion < api.minVersion || apiVersion > api.maxVersion) {
      if (apiKey === API_VERSIONS_KEY && this.opts.unsupportedApiVersions) {
        return { kind: 'response', chunks: this.opts.unsupportedApiVersions(correlationId) };
      }
      return { kind: 'close', reason: `unsupported ${api.name} version ${apiVersion} (serving ${api.minVersion}-${api.maxVersion})` };
    }
    const flexible = api.flexibleFrom >= 0 && apiVersion >= api.flexibleFrom;
    let request: unknown;
    let ctx: Ctx;
    try {
      const r = new Reader(frame);
      const header = decodeRequestHeader(r, flexible ? 2 : 1);
      ctx = this.opts.makeContext({ conn, apiVersion, correlationId, clientId: header.clientId, requestSize: frame.length });
      request = api.decodeRequest(r, apiVersion);
    } catch (err) {
      return { kind: 'close', reason: `malformed ${api.name} v${apiVersion} request: ${(err as Error).message}` };
    }
    const started = performance.now();
    let answered: unknown = null; // the decoded response, for the metrics
    const finish = (res: unknown): Reply => {
      answered = res;
      if (res === NO_RESPONSE) return { kind: 'none' };
      return { kind: 'response', chunks: this.encode(api, apiVersion, correlationId, flexible, res) };
    };
    const fail = (err: unknown): Reply => {
      // Kafka answers a failed request with the API's error code wherever the API has one:
      // its own KafkaError code, REQUEST_TIMED_OUT when a broker-to-broker request failed,
      // UNKNOWN_SERVER_ERROR for anything else. Only an API without an error shape closes.
      const code =
        err instanceof KafkaError ? err.code : err instanceof NetworkError ? ErrorCode.REQUEST_TIMED_OUT : ErrorCode.UNKNOWN_SERVER_ERROR;
      if (!(err instanceof KafkaError) && !(err instanceof NetworkError)) {
        log.error(`${api.name} v${apiVersion} handler crashed: ${(err as Error).stack ?? String(err)}`);
      }
      if (api.errorResponse) {
        log.info(`${api.name} v${apiVersion} #${correlationId} answered ${errorName(code)}: ${(err as Error).message}`);
        try {
          return finish(api.errorResponse(request, code, apiVersion, apiErrorMessage(code, (err as Error).message)));
        } catch (again) {
          log.error(`${api.name} v${apiVersion} error response failed: ${(again as Error).message}`);
        }
      }
      return { kind: 'close', reason: `${api.name} v${apiVersion} failed with ${errorName(code)}: ${(err as Error).message}` };
    };
    log.debug(`${api.name} v${apiVersion} #${correlationId} from ${ctx.clientId ?? '-'} on ${conn.id}`);
    const faults = this.opts.faults;
    const fault = !faults || faults.empty ? null : faults.match(api.name, this.opts.nodeId, ctx.clientId, () => requestTargets(request));
    if (fault) {
      const { action } = fault.rule;
      if (action === 'disconnect') return { kind: 'close', reason: `fault #${fault.id}: disconnect` };
      if (action === 'error') {
        if (!api.errorResponse) return { kind: 'close', reason: `fault #${fault.id}: ${api.name} cannot answer with an error code; closing instead` };
        const code = fault.rule.code!;
        const reply = finish(api.errorResponse(request, code, apiVersion, apiErrorMessage(code, `injected by fault #${fault.id}`)));
        const ms = fault.rule.ms ?? 0;
        return ms > 0 ? new Promise<Reply>((resolve) => setTimeout(() => resolve(reply), ms)) : reply;
      }
    }
    const metrics = this.opts.metrics;
    let produced: ProduceCounts | null = null;
    try {
      if (metrics && api.name === 'Produce') produced = metrics.countProduce(request);
    } catch {
      produced = null; // a malformed batch: the handler answers it, the metrics skip it
    }
    let reply: Reply | Promise<Reply>;
    try {
      const out = api.handle(ctx, request);
      reply = out instanceof Promise ? out.then(finish, fail) : finish(out);
    } catch (err) {
      reply = fail(err);
    }
    if (metrics) {
      const observe = (): void => {
        try {
          metrics.recordRequest(api.name, performance.now() - started);
          if (produced) metrics.recordProduce(produced, answered);
          else if (api.name === 'Fetch') metrics.recordFetch(request, answered);
        } catch (err) {
          log.warn(`${api.name} metrics not recorded: ${(err as Error).message}`);
        }
      };
      if (reply instanceof Promise) reply = reply.then((r) => (observe(), r));
      else observe();
    }
    if (fault?.rule.action === 'drop-response') {
      const dropped: Reply = { kind: 'close', reason: `fault #${fault.id}: response dropped after applying ${api.name}` };
      return reply instanceof Promise ? reply.then(() => dropped) : dropped;
    }
    if (fault?.rule.action === 'delay-response') {
      const ms = fault.rule.ms!;
      return Promise.resolve(reply).then((r) => new Promise<Reply>((resolve) => setTimeout(() => resolve(r), ms)));
    }
    return reply;
  }

  private encode(api: Api, version: number, correlationId: number, flexible: boolean, res: unknown): Buffer[] {
    const w = new Writer(256);
    const size = w.reserveInt32();
    // ApiVersions always answers with response header v0, whatever its version.
    encodeResponseHeader(w, flexible && api.key !== API_VERSIONS_KEY ? 1 : 0, { correlationId });
    api.encodeResponse(w, version, res);
    w.patchInt32(size, w.length - 4);
    return w.chunks();
  }
}

// The HTTP control plane (`--http-port`, `startCluster({ httpPort })`): node:http, JSON in and
// out, on the cluster's host. Routes:
//
//   GET    /               the live status page (StatusPage.ts)
//   GET    /healthz        {"status":"ok"} while the cluster serves
//   GET    /cluster        brokers, controller, topics and partitions (ClusterState.ts)
//   GET    /groups         groups: state, members, assignments, committed offsets, lag
//   GET    /producers      idempotent producers per partition: id, epoch, last sequence
//   GET    /events         recent elections, ISR changes, fences (ClusterEvents.ts)
//   GET    /metrics        Prometheus text (PrometheusMetrics.ts)
//   GET    /faults         active fault rules;  POST /faults  add one (FaultRules.ts) → {"id":N}
//   DELETE /faults/:id     remove one;          DELETE /faults  remove all
//   POST   /brokers/:id/stop  {"crash":true} for a crash;  POST /brokers/:id/start
//   POST   /brokers/:id/isolate;  POST /heal
//
// Every error is JSON {"error": "..."} with a 4xx status (500 only for a failure of our own); a
// body that is not JSON is refused before anything reaches the brokers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';
import { detach, guarded } from '../util/CrashBoundary.js';
import { ClusterEvents } from './ClusterEvents.js';
import type { BrokerSnapshot } from './BrokerSnapshot.js';
import { clusterView, groupsView, producersView, type ControlPlane } from './ClusterState.js';
import { BadRequest, faultRuleJson, parseFaultRule } from './FaultRules.js';
import { prometheusText } from './PrometheusMetrics.js';
import { STATUS_PAGE } from './StatusPage.js';

/** Largest request body accepted (a fault rule is a few hundred bytes). */
export const MAX_BODY_BYTES = 64 * 1024;

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  control: ControlPlane;
  log: Logger;
}

export interface HttpControlServer {
  readonly port: number;
  readonly address: string;
  close(): Promise<void>;
}

type Json = Record<string, unknown> | unknown[];

interface Answer {
  status: number;
  body: Json | string;
  contentType?: string;
}

const ok = (body: Json, status = 200): Answer => ({ status, body });

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        // Refuse it, but read the rest (unkept) so the client gets the answer, not a reset.
        reject(new BadRequest(`request body over ${MAX_BODY_BYTES} bytes`, 413));
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function jsonBody(req: http.IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BadRequest(`body is not JSON: ${(err as Error).message}`);
  }
}

function brokerId(cp: ControlPlane, raw: string): number {
  const id = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!cp.brokers().some((b) => b.id === id)) throw new BadRequest(`no broker ${raw}; brokers are ${cp.brokers().map((b) => b.id).join(', ')}`, 404);
  return id;
}

export async function startHttpServer(opts: HttpServerOptions): Promise<HttpControlServer> {
  const { control: cp, log } = opts;
  const events = new ClusterEvents(cp.controller);

  const state = async () => {
    await events.catchUp();
    const known = cp.faults.list().map((f) => f.id);
    const snaps = await cp.snapshots();
    pruneUsedFaults(known, snaps);
    return { snaps, view: clusterView(cp, snaps) };
  };

  /**
   * With a process per broker each process holds its own copy of a rule; once every running
   * broker has used its copy up, the rule is gone from the cluster's list too (else a restarted
   * broker would get it again). Only rules known before the snapshots were asked are judged.
   */
  function pruneUsedFaults(known: number[], snaps: BrokerSnapshot[]): void {
    if (!cp.processPerBroker) return;
    const running = cp.brokers().filter((b) => b.running).length;
    if (running === 0 || snaps.length !== running || snaps.some((s) => !s.activeFaults)) return;
    const held = new Set(snaps.flatMap((s) => s.activeFaults!));
    for (const id of known) if (!held.has(id)) cp.faults.remove(id);
  }

  const faultList = () => cp.faults.list().map((f) => ({ id: f.id, rule: faultRuleJson(f.rule) }));

  async function route(req: http.IncomingMessage, method: string, parts: string[]): Promise<Answer> {
    const [head, arg, action] = parts;
    const allow = (...methods: string[]) => {
      if (!methods.includes(method)) throw new BadRequest(`${method} not allowed on /${parts.join('/')} (allowed: ${methods.join(', ')})`, 405);
    };
    switch (head) {
      case undefined:
        allow('GET');
        return { status: 200, body: STATUS_PAGE, contentType: 'text/html; charset=utf-8' };
      case 'healthz': {
        allow('GET');
        const brokers = cp.brokers();
        return ok({ status: 'ok', brokers: brokers.length, running: brokers.filter((b) => b.running).length });
      }
      case 'cluster': {
        allow('GET');
        if (parts.length > 1) break;
        return ok({ ...(await state()).view, faults: faultList() });
      }
      case 'groups':
        allow('GET');
        if (parts.length > 1) break;
        return ok(groupsView((await state()).snaps));
      case 'producers':
        allow('GET');
        if (parts.length > 1) break;
        return ok(producersView((await state()).snaps));
      case 'events': {
        allow('GET');
        await events.catchUp();
        return ok(events.recent(500));
      }
      case 'metrics': {
        allow('GET');
        const { snaps, view } = await state();
        return { status: 200, body: prometheusText(view, snaps, groupsView(snaps), events), contentType: 'text/plain; version=0.0.4; charset=utf-8' };
      }
      case 'status': {
        // Everything the status page draws, in one round trip.
        allow('GET');
        const { snaps, view } = await state();
        return ok({
          cluster: { ...view, faults: faultList() },
          groups: groupsView(snaps),
          producers: producersView(snaps).length,
          events: events.recent(60),
        });
      }
      case 'faults': {
        if (arg === undefined) {
          allow('GET', 'POST', 'DELETE');
          if (method === 'GET') {
            if (cp.processPerBroker) await state();
            return ok(faultList());
          }
          if (method === 'DELETE') {
            const n = cp.faults.list().length;
            cp.faults.clear();
            return ok({ removed: n });
          }
          const rule = parseFaultRule(await jsonBody(req));
          let id: number;
          try {
            id = cp.faults.add(rule);
          } catch (err) {
            throw new BadRequest((err as Error).message);
          }
          log.info(`fault #${id} added over HTTP: ${JSON.stringify(faultRuleJson(rule))}`);
          return ok({ id, rule: faultRuleJson(rule) }, 201);
        }
        allow('DELETE');
        if (parts.length > 2) break;
        const id = /^\d+$/.test(arg) ? Number(arg) : NaN;
        if (!cp.faults.remove(id)) throw new BadRequest(`no fault rule ${arg}`, 404);
        return ok({ removed: id });
      }
      case 'brokers': {
        if (arg === undefined) {
          allow('GET');
          return ok((await state()).view.brokers);
        }
        if (parts.length !== 3) break;
        allow('POST');
        const id = brokerId(cp, arg);
        if (action === 'stop') {
          const body = await jsonBody(req);
          if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('body must be a JSON object, e.g. {"crash":true}');
          const crash = (body as { crash?: unknown }).crash;
          if (crash !== undefined && typeof crash !== 'boolean') throw new BadRequest(`'crash' must be true or false, got ${JSON.stringify(crash)}`);
          log.info(`${crash ? 'crashing' : 'stopping'} broker ${id} over HTTP`);
          await cp.stopBroker(id, { crash: crash ?? false });
          return ok({ broker: id, running: false, crashed: crash ?? false });
        }
        if (action === 'start') {
          log.info(`starting broker ${id} over HTTP`);
          await cp.startBroker(id);
          return ok({ broker: id, running: true });
        }
        if (action === 'isolate') {
          cp.isolate(id);
          return ok({ broker: id, isolated: true });
        }
        break;
      }
      case 'heal':
        allow('POST');
        if (parts.length > 1) break;
        cp.heal();
        return ok({ healed: true });
      default:
        break;
    }
    throw new BadRequest(`no route ${method} /${parts.join('/')}; see GET /healthz, /cluster, /groups, /producers, /events, /faults, /metrics`, 404);
  }

  const server = http.createServer(guarded(log, 'HTTP request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (a: Answer) => {
      const text = typeof a.body === 'string' ? a.body : `${JSON.stringify(a.body, null, 2)}\n`;
      res.writeHead(a.status, { 'content-type': a.contentType ?? 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(method === 'HEAD' ? undefined : text);
    };
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter((p) => p.length > 0).map(decodeURIComponent);
    } catch {
      send({ status: 400, body: { error: `malformed path ${url.pathname}` } });
      return;
    }
    const answered = route(req, method === 'HEAD' ? 'GET' : method, parts).then(send, (err: unknown) => {
      if (err instanceof BadRequest) {
        send({ status: err.status, body: { error: err.message } });
        return;
      }
      log.error(`HTTP ${method} ${url.pathname} failed: ${(err as Error).stack ?? String(err)}`);
      send({ status: 500, body: { error: (err as Error).message ?? String(err) } });
    });
    detach(log, `HTTP ${method} ${url.pathname}`, answered, () => res.destroy());
  }, (err) => log.error(`HTTP request handling failed: ${String(err)}`)));
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error(`HTTP server error: ${err.message}`));
  const port = (server.address() as AddressInfo).port;
  log.info(`HTTP control plane on http://${opts.host}:${port}/`);
  return {
    port,
    address: `${opts.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

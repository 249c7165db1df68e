// The one client connection (network/KafkaConnection) and its promise wrapper (NodeClient)
// against a scripted peer on a real socket: a request's own timeout (even when an older request
// allows longer), a connection dropped while a chunk still holds bytes does not leak them into
// the next connection, the canReach hook cuts and heals the link, no ApiVersions handshake when
// asked for none, and the producer's mapping of network errors to its public errors.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { KafkaConnection } from '../src/network/KafkaConnection.js';
import { NetworkError, NetworkTimeoutError, UnsupportedApiVersionError } from '../src/network/errors.js';
import { NodeClient } from '../src/network/NodeClient.js';
import * as P from '../src/producer/errors.js';
import type { Reader, Writer } from '../src/protocol/primitives.js';

interface Received {
  apiKey: number;
  version: number;
  correlationId: number;
  value: number;
}

/**
 * A peer that reads request frames (header v1: api key, version, correlation id, client id;
 * then an int32 body) and hands each to `answer(conn, request)`, which writes what it likes.
 */
async function scriptedPeer(answer: (conn: number, req: Received, socket: net.Socket) => void) {
  const received: Received[] = [];
  const sockets: net.Socket[] = [];
  let connections = 0;
  const server = net.createServer((socket) => {
    const conn = connections++;
    sockets.push(socket);
    let buf = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        const clientIdLength = frame.readInt16BE(8);
        const req = {
          apiKey: frame.readInt16BE(0),
          version: frame.readInt16BE(2),
          correlationId: frame.readInt32BE(4),
          value: frame.readInt32BE(10 + clientIdLength),
        };
        received.push(req);
        answer(conn, req, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const close = () => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port, received, connections: () => connections, close };
}

/** A response frame: size, correlation id (response header v0), an int32 body. */
function response(correlationId: number, value: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeInt32BE(8, 0);
  b.writeInt32BE(correlationId, 4);
  b.writeInt32BE(value, 8);
  return b;
}

// API key 3 (Metadata) v0: request header v1, response header v0, as the scripted peer expects.
const API = 3;
const encode = (w: Writer, _v: number, value: number) => void w.int32(value);
const decode = (r: Reader) => r.int32();

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function connection(port: number, opts: { requestTimeoutMs?: number; canReach?: () => boolean } = {}): KafkaConnection {
  const c = new KafkaConnection(-1, '127.0.0.1', port, {
    clientId: 'test',
    requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
    connectTimeoutMs: 5_000,
    handshake: false,
    canReach: opts.canReach,
  });
  cleanups.push(() => c.close());
  return c;
}

/** sendRequest as a promise of the error the request ended with (or its value). */
function send(c: KafkaConnection, value: number, timeoutMs?: number): Promise<NetworkError | number> {
  return new Promise((resolve) => {
    c.sendRequest(API, 0, (w) => encode(w, 0, value), (err, r) => resolve(err ?? decode(r!)), undefined, 64, timeoutMs);
  });
}

describe('KafkaConnection', () => {
  it('answers pipelined requests in order, with no ApiVersions handshake when asked for none', async () => {
    const peer = await scriptedPeer((_conn, req, socket) => socket.write(response(req.correlationId, req.value * 10)));
    cleanups.push(peer.close);
    const c = connection(peer.port);
    await c.ready;
    expect(await Promise.all([send(c, 1), send(c, 2), send(c, 3)])).toEqual([10, 20, 30]);
    expect(peer.received.map((r) => r.apiKey)).toEqual([API, API, API]);
  });

  it('a request fails after its own timeout, even behind an older request that allows longer', async () => {
    const peer = await scriptedPeer(() => {}); // reads everything, answers nothing
    cleanups.push(peer.close);
    const c = connection(peer.port, { requestTimeoutMs: 60_000 });
    await c.ready;
    const started = Date.now();
    const patient = send(c, 1); // the connection's default: 60 s
    const hasty = send(c, 2, 200);
    const err = await hasty;
    expect(err).toBeInstanceOf(NetworkTimeoutError);
    expect((err as Error).message).toMatch(/API 3 v0 timed out after 200 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
    // The connection is dropped, as Kafka's client does: everything in flight fails with it.
    expect(await patient).toBe(err);
    expect(c.state).toBe('closed');
  });
});

describe('NodeClient over KafkaConnection', () => {
  const logger = createLogger('test');

  it('a connection dropped mid-chunk leaves nothing behind for the next connection', async () => {
    // First connection: a response with the wrong correlation id, followed in the same chunk by
    // the first bytes of another frame. The client drops the connection inside its frame
    // callback; those bytes must not be read as the start of the next connection's stream.
    const peer = await scriptedPeer((conn, req, socket) => {
      if (conn === 0) socket.write(Buffer.concat([response(req.correlationId + 1000, 0), Buffer.from([0x00, 0x00, 0x7f])]));
      else socket.write(response(req.correlationId, req.value + 1));
    });
    cleanups.push(peer.close);
    const client = new NodeClient('127.0.0.1', peer.port, 'test', logger);
    cleanups.push(() => client.close());
    await expect(client.request(API, 0, encode, decode, 1, 5_000)).rejects.toThrow(/Correlation id/);
    expect(await client.request(API, 0, encode, decode, 41, 5_000)).toBe(42);
    expect(await client.request(API, 0, encode, decode, 99, 5_000)).toBe(100);
    expect(peer.connections()).toBe(2);
  });

  it('canReach cuts the link (requests and answers in flight are lost) and heals on the next request', async () => {
    let reachable = true;
    let held: (() => void) | null = null;
    const peer = await scriptedPeer((_conn, req, socket) => {
      const answer = () => socket.write(response(req.correlationId, req.value));
      if (req.value === 2) held = answer; // answered only once the link is cut
      else answer();
    });
    cleanups.push(peer.close);
    const client = new NodeClient('127.0.0.1', peer.port, 'test', logger, () => reachable);
    cleanups.push(() => client.close());
    expect(await client.request(API, 0, encode, decode, 1, 5_000)).toBe(1);

    const inFlight = client.request(API, 0, encode, decode, 2, 5_000);
    await expect.poll(() => held, { timeout: 10_000 }).not.toBeNull(); // its default deadline, 1 s, is short on a loaded box
    reachable = false;
    held!();
    await expect(inFlight).rejects.toThrow(/unreachable \(isolated\)/);
    await expect(client.request(API, 0, encode, decode, 3, 5_000)).rejects.toThrow(/unreachable \(isolated\)/);
    expect(peer.received.map((r) => r.value)).toEqual([1, 2]); // nothing sent while cut

    reachable = true;
    expect(await client.request(API, 0, encode, decode, 4, 5_000)).toBe(4);
    expect(peer.connections()).toBe(2);
  });

  it('a request fails with NetworkError once the peer closes, and the next one reconnects', async () => {
    const peer = await scriptedPeer((conn, req, socket) => {
      if (conn === 0) socket.destroy();
      else socket.write(response(req.correlationId, req.value));
    });
    cleanups.push(peer.close);
    const client = new NodeClient('127.0.0.1', peer.port, 'test', logger);
    cleanups.push(() => client.close());
    await expect(client.request(API, 0, encode, decode, 1, 5_000)).rejects.toBeInstanceOf(NetworkError);
    expect(await client.request(API, 0, encode, decode, 7, 5_000)).toBe(7);
  });
});

describe("the producer's public errors for network failures", () => {
  it('timeouts become TimeoutError, missing versions UnsupportedVersionError, the rest NetworkError', () => {
    const cases: [NetworkError, new (...a: never[]) => P.ProducerError, boolean][] = [
      [new NetworkTimeoutError('request timed out'), P.TimeoutError, true],
      [new UnsupportedApiVersionError('no version'), P.UnsupportedVersionError, false],
      [new NetworkError('closed'), P.NetworkError, true],
    ];
    for (const [from, to, retriable] of cases) {
      const e = P.producerErrorOf(from);
      expect(e).toBeInstanceOf(to);
      expect(e.name).toBe(to.name);
      expect(e.message).toBe(from.message);
      expect(e.retriable).toBe(retriable);
      expect(e.cause).toBe(from);
    }
  });
});

// The SASL gate's session rules in simulated time (KIP-368): the session lifetime SaslAuthenticate
// announces (connections.max.reauth.ms, an OAUTHBEARER token's expiry, the smaller of both, or
// none), a request after expiry closing the connection, re-authentication extending the session,
// and re-authentication refused when it changes the principal or the mechanism. Real sockets and
// the real Connection; behind the gate a one-line handler stands in for the broker's dispatcher.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { Connection, type FrameHandler } from '../src/network/Connection.js';
import * as M from '../src/protocol/messages/index.js';
import { SaslAuthenticator } from '../src/security/SaslAuthenticator.js';
import { MockTime } from '../src/util/Time.js';
import { RawClient } from './support/RawClient.js';

const log = createLogger('reauth-test');
const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

/** Answers any request that passes the gate with a frame holding just its correlation id. */
const served: FrameHandler = {
  handleFrame: (frame) => {
    const out = Buffer.alloc(8);
    out.writeInt32BE(4, 0);
    out.writeInt32BE(frame.readInt32BE(4), 4);
    return { kind: 'response', chunks: [out] };
  },
};

async function gate(time: MockTime, maxReauthMs: number): Promise<{ client: RawClient; conns: Connection[] }> {
  const conns: Connection[] = [];
  const authenticator = new SaslAuthenticator(
    served,
    {
      listener: 'SASL_PLAINTEXT',
      mechanisms: ['PLAIN', 'OAUTHBEARER', 'SCRAM-SHA-256'],
      maxReauthMs,
      credentials: { plainPassword: (_l, u) => ({ alice: 'a-pw', bob: 'b-pw' })[u], scramCredential: () => undefined },
      now: () => time.now(),
    },
    log,
  );
  const server = net.createServer((socket) => {
    sockets.push(socket);
    conns.push(new Connection(socket, authenticator, 1 << 20, log, () => {}));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const client = await RawClient.connect(`127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  sockets.push(client.socket);
  return { client, conns };
}

async function authenticate(c: RawClient, mechanism: string, token: Buffer, version = 2): Promise<M.SaslAuthenticateResponse> {
  const hs = await c.request(17, 1, M.encodeSaslHandshakeRequest, M.decodeSaslHandshakeResponse, { mechanism });
  expect(hs.errorCode).toBe(0);
  return c.request(36, version, M.encodeSaslAuthenticateRequest, M.decodeSaslAuthenticateResponse, { authBytes: token });
}

const plain = (user: string, pw: string) => Buffer.from(`\0${user}\0${pw}`);
const bearer = (sub: string, expMs: number) => {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return Buffer.from(`n,,\x01auth=Bearer ${part({ alg: 'none' })}.${part({ sub, exp: expMs / 1000 })}.\x01\x01`);
};

/** Send a non-SASL request (Metadata v0): resolves true if served, false if the connection closed. */
async function served_(c: RawClient): Promise<boolean> {
  const reply = c.nextFrame();
  c.writeRaw(c.encodeRequest(3, 0, M.encodeMetadataRequest, { ...M.defaultMetadataRequest(), topics: [] }));
  return reply.then(
    () => true,
    () => false,
  );
}

describe('SASL session lifetime and re-authentication (KIP-368), simulated time', () => {
  it('connections.max.reauth.ms bounds the session: served before, closed after', async () => {
    const time = new MockTime();
    const { client, conns } = await gate(time, 60_000);
    const res = await authenticate(client, 'PLAIN', plain('alice', 'a-pw'));
    expect([res.errorCode, res.sessionLifetimeMs]).toEqual([0, 60_000]);
    expect(conns[0]!.principal).toBe('User:alice');
    time.advance(59_999);
    expect(await served_(client)).toBe(true);
    time.advance(1);
    expect(await served_(client)).toBe(false);
  });

  it('re-authenticating on the same connection starts a new session', async () => {
    const time = new MockTime();
    const { client } = await gate(time, 60_000);
    await authenticate(client, 'PLAIN', plain('alice', 'a-pw'));
    time.advance(50_000);
    const again = await authenticate(client, 'PLAIN', plain('alice', 'a-pw'), 1);
    expect([again.errorCode, again.sessionLifetimeMs]).toEqual([0, 60_000]);
    time.advance(50_000); // 100 s after the first authentication, 50 s into the second session
    expect(await served_(client)).toBe(true);
    time.advance(10_000);
    expect(await served_(client)).toBe(false);
  });

  it('without connections.max.reauth.ms a PLAIN session never expires (lifetime 0)', async () => {
    const time = new MockTime();
    const { client } = await gate(time, 0);
    const res = await authenticate(client, 'PLAIN', plain('alice', 'a-pw'));
    expect(res.sessionLifetimeMs).toBe(0);
    time.advance(365 * 24 * 3600_000);
    expect(await served_(client)).toBe(true);
  });

  it("an OAUTHBEARER session ends with the token's exp, or with the reauth bound if sooner", async () => {
    const time = new MockTime();
    const { client } = await gate(time, 0);
    const res = await authenticate(client, 'OAUTHBEARER', bearer('svc', time.now() + 30_000));
    expect([res.errorCode, res.sessionLifetimeMs]).toEqual([0, 30_000]);
    const bounded = await gate(time, 10_000);
    const res2 = await authenticate(bounded.client, 'OAUTHBEARER', bearer('svc', time.now() + 30_000));
    expect(res2.sessionLifetimeMs).toBe(10_000);
    time.advance(30_000);
    expect(await served_(client)).toBe(false);
  });

  it('re-authentication as another principal fails and closes', async () => {
    const time = new MockTime();
    const { client } = await gate(time, 60_000);
    await authenticate(client, 'PLAIN', plain('alice', 'a-pw'));
    const res = await authenticate(client, 'PLAIN', plain('bob', 'b-pw'));
    expect(res.errorCode).toBe(58);
    expect(res.errorMessage).toBe('Cannot change principals during re-authentication from User.alice: User.bob');
    await client.closed;
  });

  it('re-authentication with another mechanism: the handshake is accepted, its SaslAuthenticate fails', async () => {
    const time = new MockTime();
    const { client } = await gate(time, 60_000);
    await authenticate(client, 'PLAIN', plain('alice', 'a-pw'));
    const res = await authenticate(client, 'OAUTHBEARER', bearer('alice', time.now() + 60_000));
    expect(res.errorCode).toBe(58);
    expect(res.errorMessage).toBe("SASL mechanism 'OAUTHBEARER' requested by client is not supported for re-authentication of mechanism 'PLAIN'");
    await client.closed;
  });
});

describe('garbage tokens', () => {
  it('every mechanism answers malformed tokens SASL_AUTHENTICATION_FAILED and closes, never crashes', async () => {
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const shapes = [
      (n: number) => Buffer.from(Array.from({ length: n }, () => next() % 256)),
      (n: number) => Buffer.from(`n,,n=u,r=${'x'.repeat(n)}`),
      (n: number) => Buffer.from(`n,,\x01auth=Bearer ${'a.'.repeat(n % 5)}\x01\x01`),
      () => Buffer.from('\0\0\0'),
      () => Buffer.alloc(0),
    ];
    for (const mechanism of ['PLAIN', 'OAUTHBEARER', 'SCRAM-SHA-256']) {
      for (let i = 0; i < 15; i++) {
        const time = new MockTime();
        const { client } = await gate(time, 0);
        const token = shapes[i % shapes.length]!(1 + (next() % 64));
        const res = await authenticate(client, mechanism, token);
        expect(res.errorCode, `${mechanism} ${token.toString('hex')}`).toBe(58);
        await client.closed;
      }
    }
  });
});

// A broker's listeners (Kafka's SocketServer): one acceptor per listener, plain TCP or TLS. Each
// accepted socket becomes a Connection carrying the listener's name, security protocol and (SSL)
// the client certificate's principal; a SASL listener puts its authenticator in front of the
// request dispatcher. Bound ports are written back to the endpoints, so a restart binds the same.
import net from 'node:net';
import tls from 'node:tls';
import type { KafkaConfig } from '../common/KafkaConfig.js';
import type { Logger } from '../logger.js';
import { Connection, type ConnectionLimits, type FrameHandler } from '../network/Connection.js';
import type { ConnectionQuotas } from '../network/ConnectionQuotas.js';
import { isSasl, isSsl, listenerConfig, type Endpoint } from '../security/Listeners.js';
import { SaslAuthenticator } from '../security/SaslAuthenticator.js';
import type { CredentialStore } from '../security/SaslServer.js';
import { clientAuthOf, hasUntrustedCertificate, principalOfTlsSocket, tlsServerOptions } from '../security/SslFactory.js';

export interface SocketServerOptions {
  config: KafkaConfig;
  /** The broker's request dispatcher. */
  handler: FrameHandler;
  credentials: CredentialStore;
  /** Wall clock for SASL sessions. */
  now: () => number;
  log: Logger;
}

export class SocketServer {
  /** The open client connections, on every listener. */
  readonly connections = new Set<Connection>();
  private servers: net.Server[] = [];

  constructor(private readonly opts: SocketServerOptions) {}

  /** Bind every listener in order (a failure leaves the ones bound for shutdown()). */
  async bind(listeners: Endpoint[], limits: ConnectionLimits, quotas: ConnectionQuotas): Promise<void> {
    for (const l of listeners) {
      const server = this.acceptor(l, limits, quotas);
      this.servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(l.port, l.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      // EMFILE/ENFILE on accept arrive here: that connection is refused (libuv closes it), the
      // listener and every other connection go on.
      server.on('error', (err) => this.opts.log.error(`listener ${l.name} error: ${err.message}`));
      l.port = (server.address() as net.AddressInfo).port;
    }
  }

  /** Cut every connection now and stop accepting; resolves once the listeners are closed. */
  shutdown(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    for (const c of this.connections) c.socket.destroy();
    this.connections.clear();
    return Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())))).then(() => {});
  }

  private acceptor(l: Endpoint, limits: ConnectionLimits, quotas: ConnectionQuotas): net.Server {
    const { config, log } = this.opts;
    const handler = isSasl(l.securityProtocol)
      ? new SaslAuthenticator(
          this.opts.handler,
          {
            listener: l.name,
            mechanisms: listenerConfig(config, l.name, 'sasl.enabled.mechanisms').split(',').map((m) => m.trim().toUpperCase()).filter(Boolean),
            maxReauthMs: Number(listenerConfig(config, l.name, 'connections.max.reauth.ms')),
            credentials: this.opts.credentials,
            now: this.opts.now,
          },
          log,
        )
      : this.opts.handler;
    const accept = (socket: net.Socket): void => {
      if (!quotas.admit(socket)) return;
      const conn = new Connection(socket, handler, limits, log, (c) => {
        quotas.release(c.socket);
        this.connections.delete(c);
      });
      conn.listenerName = l.name;
      conn.securityProtocol = l.securityProtocol;
      if (l.securityProtocol === 'SSL') conn.principal = principalOfTlsSocket(socket as tls.TLSSocket);
      this.connections.add(conn);
    };
    if (!isSsl(l.securityProtocol)) return net.createServer(accept);
    const requested = clientAuthOf(config, l) === 'requested';
    const server = tls.createServer(tlsServerOptions(config, l), (socket) => {
      if (requested && hasUntrustedCertificate(socket)) {
        log.info(`listener ${l.name}: refused ${socket.remoteAddress}:${socket.remotePort}, untrusted client certificate`);
        socket.destroy();
        return;
      }
      accept(socket);
    });
    server.on('tlsClientError', (err, socket) => log.info(`listener ${l.name}: TLS handshake with ${socket.remoteAddress}:${socket.remotePort} failed: ${err.message}`));
    return server;
  }
}

// A broker's listeners as Kafka configures them: `listeners` (NAME://host:port,…),
// `advertised.listeners` (what Metadata gives clients, per listener name),
// `listener.security.protocol.map` (NAME:PROTOCOL,…) and `inter.broker.listener.name`, plus
// `listener.name.<listener>.<config>` overrides of any security config for one listener.
import type { KafkaConfig } from '../common/KafkaConfig.js';
import { ConfigError } from '../common/KafkaConfig.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
const PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/** Kafka's SecurityProtocol ids (BrokerRegistration's listener securityProtocol). */
export const SECURITY_PROTOCOL_ID: Record<SecurityProtocol, number> = { PLAINTEXT: 0, SSL: 1, SASL_PLAINTEXT: 2, SASL_SSL: 3 };

export interface Endpoint {
  /** Listener name, upper case as Kafka normalises it. */
  name: string;
  host: string;
  port: number;
  securityProtocol: SecurityProtocol;
}

export const isSsl = (p: SecurityProtocol): boolean => p === 'SSL' || p === 'SASL_SSL';
export const isSasl = (p: SecurityProtocol): boolean => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';

/** `listener.security.protocol.map`: listener name → security protocol. */
export function parseProtocolMap(value: string): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>();
  for (const entry of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, proto] = entry.split(':').map((s) => s.trim().toUpperCase());
    if (!name || !proto || !PROTOCOLS.includes(proto as SecurityProtocol)) {
      throw new ConfigError(`listener.security.protocol.map: bad entry '${entry}' (NAME:${PROTOCOLS.join('|')})`);
    }
    map.set(name, proto as SecurityProtocol);
  }
  return map;
}

/** One `NAME://host:port` list (`listeners` or `advertised.listeners`). An empty host stays empty. */
export function parseEndpoints(value: string, protocols: Map<string, SecurityProtocol>, what: string): Endpoint[] {
  const out: Endpoint[] = [];
  for (const entry of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9_-]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/.exec(entry);
    if (!m) throw new ConfigError(`${what}: '${entry}' is not NAME://host:port`);
    const name = m[1]!.toUpperCase();
    const proto = protocols.get(name);
    if (!proto) throw new ConfigError(`${what}: listener ${name} has no entry in listener.security.protocol.map`);
    const port = Number(m[3]);
    if (port > 65535) throw new ConfigError(`${what}: bad port in '${entry}'`);
    if (out.some((e) => e.name === name)) throw new ConfigError(`${what}: listener ${name} is listed twice`);
    out.push({ name, host: m[2]!.replace(/^\[|\]$/g, ''), port, securityProtocol: proto });
  }
  return out;
}

/**
 * The listeners a broker binds: `listeners` if set, else one PLAINTEXT listener on the host and
 * port the broker was given (minikafka's `--host`/`--port`). An empty host binds `defaultHost`.
 */
export function brokerListeners(config: KafkaConfig, defaultHost: string, defaultPort: number): Endpoint[] {
  const protocols = parseProtocolMap(config.get('listener.security.protocol.map'));
  const value = config.get('listeners');
  if (!value) return [{ name: 'PLAINTEXT', host: defaultHost, port: defaultPort, securityProtocol: 'PLAINTEXT' }];
  const listeners = parseEndpoints(value, protocols, 'listeners').map((e) => ({ ...e, host: e.host || defaultHost }));
  if (listeners.length === 0) throw new ConfigError('listeners: no listener given');
  interBrokerListener(config, listeners); // fails early on a bad inter.broker.listener.name
  return listeners;
}

/**
 * What clients are told for each bound listener: its `advertised.listeners` entry (port 0 there
 * means the bound port), else the bound endpoint with `advertisedHost` as host when given.
 */
export function advertisedEndpoints(config: KafkaConfig, bound: Endpoint[], advertisedHost: string | undefined): Endpoint[] {
  const protocols = parseProtocolMap(config.get('listener.security.protocol.map'));
  const advertised = parseEndpoints(config.get('advertised.listeners'), protocols, 'advertised.listeners');
  for (const a of advertised) {
    if (!bound.some((b) => b.name === a.name)) throw new ConfigError(`advertised.listeners: ${a.name} is not in listeners`);
  }
  return bound.map((b) => {
    const a = advertised.find((x) => x.name === b.name);
    if (a) return { ...a, host: a.host || advertisedHost || b.host, port: a.port || b.port };
    return { ...b, host: advertisedHost ?? b.host };
  });
}

/**
 * The listener brokers replicate over: `inter.broker.listener.name`, else the one named
 * PLAINTEXT (Kafka's default security.inter.broker.protocol), else the first PLAINTEXT or SSL one.
 * minikafka's own broker-to-broker client speaks PLAINTEXT and SSL, not SASL.
 */
export function interBrokerListener(config: KafkaConfig, listeners: Endpoint[]): Endpoint {
  const wanted = config.get('inter.broker.listener.name').toUpperCase();
  const pick = wanted
    ? listeners.find((l) => l.name === wanted)
    : (listeners.find((l) => l.name === 'PLAINTEXT') ??
      listeners.find((l) => l.securityProtocol === 'PLAINTEXT') ??
      listeners.find((l) => l.securityProtocol === 'SSL'));
  if (!pick) {
    throw new ConfigError(
      wanted
        ? `inter.broker.listener.name: ${wanted} is not in listeners`
        : 'listeners: replication needs a PLAINTEXT or SSL listener (or inter.broker.listener.name naming one)',
    );
  }
  if (isSasl(pick.securityProtocol)) {
    throw new ConfigError(`inter.broker.listener.name: ${pick.name} is ${pick.securityProtocol}; minikafka replicates over PLAINTEXT or SSL listeners only`);
  }
  return pick;
}

/**
 * A security config for one listener: `listener.name.<listener>.<name>` (lower-case listener,
 * and for SASL also `listener.name.<listener>.<mechanism>.<name>`), else the broker-wide value.
 */
export function listenerConfig(config: KafkaConfig, listener: string, name: string, mechanism?: string): string {
  const prefix = `listener.name.${listener.toLowerCase()}.`;
  if (mechanism) {
    const v = config.explicit.get(`${prefix}${mechanism.toLowerCase()}.${name}`);
    if (v !== undefined) return v;
  }
  const v = config.explicit.get(prefix + name);
  if (v !== undefined) return v;
  return config.get(name);
}

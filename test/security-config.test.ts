// Listener and security configuration as Kafka reads it: listeners, the protocol map,
// advertised.listeners (and what Metadata then answers), inter.broker.listener.name, per-listener
// overrides, JAAS user lines, and the RFC 2253 form of certificate subjects.
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, KafkaConfig } from '../src/common/KafkaConfig.js';
import { startCluster, type Cluster } from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { plainUsers, jaasOptions } from '../src/security/JaasConfig.js';
import { advertisedEndpoints, brokerListeners, interBrokerListener, listenerConfig } from '../src/security/Listeners.js';
import { rfc2253 } from '../src/security/SslFactory.js';
import { RawClient } from './support/RawClient.js';

const config = (props: Record<string, string>) => new KafkaConfig(props);

describe('listeners', () => {
  it('without `listeners`: one PLAINTEXT listener on the given host and port', () => {
    expect(brokerListeners(config({}), '127.0.0.1', 9092)).toEqual([{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 'PLAINTEXT' }]);
  });

  it('names map to protocols through listener.security.protocol.map; an empty host binds the default host', () => {
    const c = config({ listeners: 'INTERNAL://:9093,external://[::1]:9094', 'listener.security.protocol.map': 'INTERNAL:PLAINTEXT,EXTERNAL:SASL_SSL' });
    expect(brokerListeners(c, '0.0.0.0', 1)).toEqual([
      { name: 'INTERNAL', host: '0.0.0.0', port: 9093, securityProtocol: 'PLAINTEXT' },
      { name: 'EXTERNAL', host: '::1', port: 9094, securityProtocol: 'SASL_SSL' },
    ]);
  });

  it('refuses what Kafka refuses: unmapped names, duplicates, bad syntax, advertised listeners not bound', () => {
    expect(() => brokerListeners(config({ listeners: 'FOO://h:1' }), 'h', 1)).toThrow(ConfigError);
    expect(() => brokerListeners(config({ listeners: 'PLAINTEXT://h:1,PLAINTEXT://h:2' }), 'h', 1)).toThrow(/listed twice/);
    expect(() => brokerListeners(config({ listeners: 'PLAINTEXT:/h:1' }), 'h', 1)).toThrow(/NAME:\/\/host:port/);
    const c = config({ listeners: 'PLAINTEXT://h:1', 'advertised.listeners': 'SSL://x:2' });
    expect(() => advertisedEndpoints(c, brokerListeners(c, 'h', 1), undefined)).toThrow(/not in listeners/);
  });

  it('the inter-broker listener: named, else PLAINTEXT, else the first PLAINTEXT or SSL one; never SASL', () => {
    const pick = (props: Record<string, string>) => {
      const c = config(props);
      return interBrokerListener(c, brokerListeners(c, 'h', 1)).name;
    };
    expect(pick({ listeners: 'SSL://h:1,PLAINTEXT://h:2' })).toBe('PLAINTEXT');
    expect(pick({ listeners: 'SASL_SSL://h:1,SSL://h:2' })).toBe('SSL');
    expect(pick({ listeners: 'SSL://h:1,PLAINTEXT://h:2', 'inter.broker.listener.name': 'SSL' })).toBe('SSL');
    expect(() => pick({ listeners: 'SASL_SSL://h:1' })).toThrow(/PLAINTEXT or SSL listener/);
    expect(() => pick({ listeners: 'SASL_SSL://h:1,SSL://h:2', 'inter.broker.listener.name': 'SASL_SSL' })).toThrow(/PLAINTEXT or SSL listeners only/);
  });

  it('listener.name.<l>.<config> overrides the broker-wide value for that listener only', () => {
    const c = config({ 'ssl.client.auth': 'required', 'listener.name.internal.ssl.client.auth': 'none', 'listener.name.sasl.plain.sasl.plain.users': 'a:b' });
    expect(listenerConfig(c, 'INTERNAL', 'ssl.client.auth')).toBe('none');
    expect(listenerConfig(c, 'EXTERNAL', 'ssl.client.auth')).toBe('required');
    expect(listenerConfig(c, 'SASL', 'sasl.plain.users', 'PLAIN')).toBe('a:b');
    expect(() => config({ 'listener.name.x.no.such.config': '1' })).toThrow(/unknown config/);
  });

  it('secrets are accepted but not listed among the broker configs', () => {
    const c = config({ 'ssl.key.password': 'hush', 'sasl.plain.users': 'a:b' });
    expect(c.get('ssl.key.password')).toBe('hush');
    expect(c.entries().map((e) => e.name)).not.toContain('ssl.key.password');
    expect(c.entries().map((e) => e.name)).not.toContain('sasl.plain.users');
  });
});

describe('PLAIN users', () => {
  it('from a JAAS line (user_<name> options) and from sasl.plain.users', () => {
    expect([...jaasOptions('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="a\\"b" user_admin="a\\"b" user_x=plain;')]).toEqual([
      ['username', 'admin'],
      ['password', 'a"b'],
      ['user_admin', 'a"b'],
      ['user_x', 'plain'],
    ]);
    const c = config({
      'listener.name.sasl_ssl.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_bob="bob-pw";',
      'sasl.plain.users': 'alice:al:ice',
    });
    expect(Object.fromEntries(plainUsers(c, 'SASL_SSL'))).toEqual({ bob: 'bob-pw', alice: 'al:ice' });
    expect(Object.fromEntries(plainUsers(c, 'SASL_PLAINTEXT'))).toEqual({ alice: 'al:ice' });
    expect(() => jaasOptions('nonsense')).toThrow(ConfigError);
  });
});

describe('certificate subjects', () => {
  it('RFC 2253 order, as X500Principal.getName() gives Kafka', () => {
    expect(rfc2253('C=NO\nO=acme\nOU=eng\nCN=alice')).toBe('CN=alice,OU=eng,O=acme,C=NO');
    // node's subject of `-subj '/C=NO/O=acme, inc/OU=eng/CN=alice/emailAddress=x@y.z'`, and what
    // Java 17's X500Principal.getName() printed for the same certificate
    expect(rfc2253('C=NO\nO=acme\\, inc\nOU=eng\nCN=alice\nemailAddress=x@y.z')).toBe('1.2.840.113549.1.9.1=#16057840792e7a,CN=alice,OU=eng,O=acme\\, inc,C=NO');
  });
});

describe('advertised.listeners in Metadata', () => {
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.close();
  });

  it('each listener answers with its own endpoints: the advertised one where given, else the bound one', async () => {
    cluster = await startCluster({
      listeners: 'PLAINTEXT://127.0.0.1:0,OUTSIDE://127.0.0.1:0',
      config: { 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,OUTSIDE:PLAINTEXT', 'advertised.listeners': 'OUTSIDE://kafka.example:19092' },
    });
    const brokersVia = async (listener: string) => {
      const c = await RawClient.connect(cluster!.bootstrapFor(listener)[0]!);
      const res = await c.request(3, 12, M.encodeMetadataRequest, M.decodeMetadataResponse, { ...M.defaultMetadataRequest(), topics: [] });
      c.close();
      return res.brokers.map((b) => `${b.host}:${b.port}`);
    };
    expect(await brokersVia('PLAINTEXT')).toEqual(cluster.bootstrapFor('PLAINTEXT'));
    expect(await brokersVia('OUTSIDE')).toEqual(['kafka.example:19092']);
  });
});

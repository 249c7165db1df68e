// Producer settings: Kafka's defaults, property names, and every configuration error Kafka
// raises (or the silent idempotence switch-off when enable.idempotence was not set); murmur2
// against Kafka's own vectors and the Java-compatible partitioner.
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ConfigError, Producer, murmur2, partitionForKey, toPositive } from '../src/index.js';
import { resolveConfig } from '../src/producer/ProducerConfig.js';

const B = { bootstrapServers: ['127.0.0.1:9092'] };
const cfg = (o: Record<string, unknown>) => resolveConfig({ ...B, ...o } as never);

describe('producer configuration', () => {
  it("defaults are Kafka's (3.x line): acks=all, idempotence on, linger.ms 0, batch.size 16384, 32 MiB, 5 in flight", () => {
    const { config, idempotenceDisabledReason } = cfg({});
    expect(config).toMatchObject({
      acks: -1,
      enableIdempotence: true,
      lingerMs: 0,
      batchSize: 16384,
      bufferMemory: 33554432,
      maxBlockMs: 60000,
      maxInFlightRequestsPerConnection: 5,
      requestTimeoutMs: 30000,
      deliveryTimeoutMs: 120000,
      retries: 2147483647,
      retryBackoffMs: 100,
      retryBackoffMaxMs: 1000,
      compressionType: 'none',
      maxRequestSize: 1048576,
    });
    expect(idempotenceDisabledReason).toBeNull();
    expect(config.clientId).toMatch(/^producer-\d+$/);
  });

  it('fromProperties takes Kafka property names and string values; every setting is observable on producer.config', async () => {
    const p = Producer.fromProperties({
      'bootstrap.servers': '127.0.0.1:9092,127.0.0.1:9093',
      'linger.ms': '5',
      'batch.size': '32768',
      acks: 'all',
      'enable.idempotence': 'true',
      'compression.type': 'gzip',
      'max.in.flight.requests.per.connection': 3,
      'delivery.timeout.ms': '60000',
      'key.serializer': 'org.apache.kafka.common.serialization.StringSerializer',
      'client.id': 'from-props',
    });
    expect(p.config).toMatchObject({
      bootstrapServers: ['127.0.0.1:9092', '127.0.0.1:9093'],
      lingerMs: 5,
      batchSize: 32768,
      acks: -1,
      enableIdempotence: true,
      compressionType: 'gzip',
      maxInFlightRequestsPerConnection: 3,
      deliveryTimeoutMs: 60000,
      clientId: 'from-props',
    });
    expect([...p.configResolution.explicit].sort()).toContain('lingerMs');
    await p.close();
  });

  describe('explicit enable.idempotence=true with a conflicting setting is a ConfigError (as Kafka)', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['acks=1', { acks: 1 }, /Must set acks to all in order to use the idempotent producer/],
      ['acks=0', { acks: 0 }, /Must set acks to all/],
      ['retries=0', { retries: 0 }, /Must set retries to non-zero when using the idempotent producer/],
      ['max.in.flight=6', { maxInFlightRequestsPerConnection: 6 }, /max.in.flight.requests.per.connection must be set to at most 5. Current value is 6/],
    ];
    for (const [name, opts, msg] of cases) {
      it(name, () => {
        expect(() => cfg({ enableIdempotence: true, ...opts })).toThrow(ConfigError);
        expect(() => cfg({ enableIdempotence: true, ...opts })).toThrow(msg);
      });
    }
  });

  describe('idempotence by default with a conflicting setting: switched off silently (Kafka 3.x)', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['acks=1', { acks: 1 }, /acks is set to 1/],
      ['retries=0', { retries: 0 }, /retries is set to 0/],
      ['max.in.flight=10', { maxInFlightRequestsPerConnection: 10 }, /greater than 5/],
    ];
    for (const [name, opts, why] of cases) {
      it(name, () => {
        const r = cfg(opts);
        expect(r.config.enableIdempotence).toBe(false);
        expect(r.idempotenceDisabledReason).toMatch(why);
      });
    }
    it('and the same through properties', () => {
      expect(resolveConfig({ ...B, acks: '1' }).config.enableIdempotence).toBe(false);
    });
  });

  it('delivery.timeout.ms < linger.ms + request.timeout.ms: ConfigError when given, raised to the sum when defaulted', () => {
    expect(() => cfg({ deliveryTimeoutMs: 1000, requestTimeoutMs: 1000, lingerMs: 5 })).toThrow(
      'delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms',
    );
    expect(cfg({ deliveryTimeoutMs: 1005, requestTimeoutMs: 1000, lingerMs: 5 }).config.deliveryTimeoutMs).toBe(1005);
    const raised = cfg({ requestTimeoutMs: 200000, lingerMs: 10 });
    expect(raised.config.deliveryTimeoutMs).toBe(200010);
    expect(raised.warnings.join()).toMatch(/Setting it to 200010/);
  });

  it('bad values name the property, the value and why', () => {
    expect(() => cfg({ lingerMs: -1 })).toThrow('Invalid value -1 for configuration linger.ms: Value must be at least 0');
    expect(() => cfg({ maxInFlightRequestsPerConnection: 0 })).toThrow(/max.in.flight.requests.per.connection: Value must be at least 1/);
    expect(() => cfg({ acks: 2 })).toThrow(/configuration acks: String must be one of: all, -1, 0, 1/);
    expect(() => cfg({ compressionType: 'brotli' as never })).toThrow(/compression.type: String must be one of: none, gzip, snappy, lz4, zstd/);
    expect(() => cfg({ batchSize: 1.5 })).toThrow(/batch.size: Not an integer/);
    expect(() => cfg({ enableIdempotence: 'yes' })).toThrow(/enable.idempotence: Expected value to be either true or false/);
    expect(() => cfg({ bootstrapServers: ['nohost'] })).toThrow(/Invalid url in bootstrap.servers/);
    expect(() => resolveConfig({} as never)).toThrow(/Missing required configuration "bootstrap.servers"/);
    expect(() => cfg({ lingerMS: 5 })).toThrow(/Unknown producer option 'lingerMS'/);
    expect(() => Producer.fromProperties({ 'bootstrap.servers': 'h:1', 'transactional.id': '' })).toThrow(/transactional.id: String must be non-empty/);
    expect(() => Producer.fromProperties({ 'bootstrap.servers': 'h:1', 'linger.ms': 'soon' })).toThrow(/linger.ms: Expected a number/);
    expect(() => Producer.fromProperties({ 'bootstrap.servers': 'h:1', 'security.protocol': 'TLS' })).toThrow(/security.protocol: String must be one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL/);
  });

  it("transactional.id needs idempotence (Java's ConfigException otherwise); it names the client and takes transaction.timeout.ms", async () => {
    const t = cfg({ transactionalId: 'orders-tx' }).config;
    expect([t.transactionalId, t.transactionTimeoutMs, t.enableIdempotence, t.clientId]).toEqual(['orders-tx', 60000, true, 'producer-orders-tx']);
    expect(cfg({}).config.transactionalId).toBeNull();
    expect(() => cfg({ transactionalId: 'tx', acks: 1 })).toThrow('Cannot set a transactional.id without also enabling idempotence.');
    expect(() => cfg({ transactionalId: 'tx', enableIdempotence: false })).toThrow(ConfigError);
    expect(() => cfg({ transactionalId: 'tx', maxInFlightRequestsPerConnection: 6 })).toThrow(/without also enabling idempotence/);
    expect(() => cfg({ transactionalId: 'tx', enableIdempotence: true, acks: 1 })).toThrow(/Must set acks to all/);
    const p = Producer.fromProperties({ 'bootstrap.servers': '127.0.0.1:1', 'transactional.id': 'tx-2', 'transaction.timeout.ms': '30000' });
    expect([p.config.transactionalId, p.config.transactionTimeoutMs]).toEqual(['tx-2', 30000]);
    await p.close();
  });

  it('the transactional API refuses calls in the wrong state before any request is sent', async () => {
    const plain = new Producer({ bootstrapServers: '127.0.0.1:1' });
    expect(() => plain.beginTransaction()).toThrow(/without enabling transactions by setting the transactional.id/);
    await expect(plain.initTransactions()).rejects.toThrow(/without enabling transactions/);
    await plain.close();
    const p = new Producer({ bootstrapServers: '127.0.0.1:1', transactionalId: 'tx-3' });
    expect(() => p.beginTransaction()).toThrow(/Invalid transition attempted from state UNINITIALIZED to state IN_TRANSACTION/);
    await expect(p.send({ topic: 't', value: 'v' })).rejects.toThrow(/before completing a call to initTransactions/);
    await expect(p.commitTransaction()).rejects.toThrow(/Invalid transition attempted from state UNINITIALIZED to state COMMITTING_TRANSACTION/);
    await expect(p.sendOffsetsToTransaction([{ topic: 't', partition: 0, offset: 1 }], 'g')).rejects.toThrow(/transaction is not in progress/);
    await expect(p.sendOffsetsToTransaction([{ topic: 't', partition: -1, offset: 1 }], 'g')).rejects.toThrow(/Invalid offset/);
    await p.close();
    await expect(p.initTransactions()).rejects.toThrow(/after producer has been closed/);
  });

  it('unknown Kafka property names are warnings, as in Kafka', async () => {
    const p = Producer.fromProperties({ 'bootstrap.servers': '127.0.0.1:9092', 'linger.mss': '5' });
    expect(p.configResolution.warnings).toContain("The configuration 'linger.mss' was supplied but isn't a known config.");
    await p.close();
  });
});

describe('partitioning like the Java client', () => {
  it("murmur2 matches Kafka's UtilsTest vectors", () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [s, h] of vectors) expect(murmur2(Buffer.from(s))).toBe(h);
    expect(toPositive(-790332482)).toBe(1357151166);
    expect(partitionForKey('foobar', 10)).toBe(6);
  });

  it("keys map to the partition of kafkajs' Java-compatible partitioner (Java's toPositive(murmur2) % n)", () => {
    const java = Partitioners.JavaCompatiblePartitioner();
    for (const n of [1, 3, 6, 12, 100]) {
      const meta = Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 1 }));
      for (let i = 0; i < 500; i++) {
        const key = `key-${i * 7919}-ü${i % 3 ? 'x' : ''}`;
        expect(partitionForKey(key, n)).toBe(java({ topic: 't', partitionMetadata: meta as never, message: { key, value: 'v' } }));
      }
    }
  });
});

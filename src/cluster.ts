// startCluster(): minikafka as a library, for integration tests and embedding.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from './logger.js';
import { Broker } from './server/Broker.js';
import { FaultInjector } from './server/FaultInjector.js';
import type { Properties } from './server/KafkaConfig.js';

export interface ClusterOptions {
  /** Listener port; 0 (the default) picks a free one. */
  port?: number;
  host?: string;
  /** Data directory. Without one (and without inMemory) a fresh temp dir is used and removed on close. */
  dataDir?: string;
  inMemory?: boolean;
  /** Broker properties under Kafka's names, e.g. { 'num.partitions': 3 }. */
  config?: Properties;
}

export interface CreateTopicOptions {
  partitions?: number;
  replicationFactor?: number;
  config?: Properties;
}

export interface Cluster {
  /** host:port of every broker, for a client's bootstrap list. */
  readonly bootstrapServers: string[];
  readonly brokers: Broker[];
  readonly dataDir: string | null;
  /** Fault injection on the wire: add(rule) → id, remove(id), clear(). */
  readonly faults: FaultInjector;
  createTopic(name: string, opts?: CreateTopicOptions): Promise<void>;
  close(): Promise<void>;
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const ownsDir = !opts.inMemory && opts.dataDir === undefined;
  const dataDir = opts.inMemory ? null : (opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-')));
  const faults = new FaultInjector(createLogger('faults'));
  const broker = new Broker({
    faults,
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    inMemory: opts.inMemory ?? false,
    dataDir: dataDir ?? undefined,
    config: opts.config,
  });
  await broker.start();
  let closed = false;
  return {
    bootstrapServers: [`${broker.advertisedHost}:${broker.port}`],
    brokers: [broker],
    dataDir,
    faults,
    async createTopic(name, topicOpts = {}) {
      const configs: Record<string, string> = {};
      for (const [k, v] of Object.entries(topicOpts.config ?? {})) configs[k] = String(v);
      broker.createTopic(name, topicOpts.partitions ?? -1, topicOpts.replicationFactor ?? -1, configs);
    },
    async close() {
      if (closed) return;
      closed = true;
      await broker.stop();
      if (ownsDir && dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// One cluster per test file and producers closed after each test: the setup the producer test
// files share. Call at the top level of a test file.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { Producer, startCluster, type Cluster, type ClusterOptions, type ProducerOptions } from '../../src/index.js';

export interface ProducerFixture {
  /** The file's cluster (started in beforeAll). */
  readonly cluster: Cluster;
  /** A producer on the cluster, closed after the test. */
  producer(opts?: Partial<ProducerOptions>): Producer;
}

export function producerFixture(clusterOptions: ClusterOptions = {}): ProducerFixture {
  let cluster: Cluster | undefined;
  const producers: Producer[] = [];
  beforeAll(async () => {
    cluster = await startCluster(clusterOptions);
  });
  afterEach(async () => {
    cluster?.faults.clear();
    for (const p of producers.splice(0)) await p.close({ timeoutMs: 0 });
  });
  afterAll(async () => {
    await cluster?.close();
  });
  return {
    get cluster() {
      if (!cluster) throw new Error('the cluster starts in beforeAll');
      return cluster;
    },
    producer(opts = {}) {
      const p = new Producer({ bootstrapServers: this.cluster.bootstrapServers, ...opts });
      producers.push(p);
      return p;
    },
  };
}

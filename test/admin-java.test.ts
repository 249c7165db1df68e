// Issue #13 with Apache Kafka's own Java Admin client (test/support/java/AdminCheck.java,
// compiled against org.apache.kafka:kafka-clients 4.4.0 and 3.9.1 by
// test/support/java/fetch-clients.sh): the calls behind kafka-reassign-partitions,
// kafka-leader-election, kafka-log-dirs, kafka-metadata-quorum and kafka-client-quotas, against a
// 4-broker cluster, with acks=all data in the moved partition. Skipped with a message when java,
// javac or mvn is missing or the fetch fails (offline).
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { readAll } from './support/fetchAll.js';

const FETCH = fileURLToPath(new URL('./support/java/fetch-clients.sh', import.meta.url));
const VERSIONS = ['4.4.0', '3.9.1'];
const hasTools = ['java', 'javac', 'mvn'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0);
const classpaths = new Map<string, string>();
if (hasTools) {
  for (const v of VERSIONS) {
    const r = spawnSync(FETCH, [v], { encoding: 'utf8', timeout: 300_000 });
    if (r.status === 0) classpaths.set(v, r.stdout.trim().split('\n').at(-1)!);
    else console.warn(`Java admin ${v} tests skipped: fetching/compiling kafka-clients ${v} failed\n${r.stderr}`);
  }
} else {
  console.warn('Java admin tests skipped: java, javac and mvn are needed (Java 17 + Maven)');
}

const clusters: Cluster[] = [];
afterEach(async () => {
  for (const c of clusters.splice(0)) await c.close();
});

function adminCheck(classpath: string, bootstrap: string, topic: string, target: number[]): Promise<Record<string, string | number>> {
  return new Promise((resolve, reject) => {
    execFile('java', ['-Xmx256m', '-XX:+UseSerialGC', '-cp', classpath, 'AdminCheck', bootstrap, topic, target.join(',')], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, string | number>);
    });
  });
}

describe.runIf(classpaths.size > 0)("Apache Kafka's Java Admin client (reassignment, elections, log dirs, quorum, quotas)", () => {
  for (const version of VERSIONS) {
    it.runIf(classpaths.has(version))(`kafka-clients ${version}`, { timeout: 150_000 }, async () => {
      const c = await startCluster({ brokers: 4, config: { 'broker.session.timeout.ms': 1000, 'broker.heartbeat.interval.ms': 100 } });
      clusters.push(c);
      const kafka = new Kafka({ clientId: 'admin-java', brokers: c.bootstrapServers, logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'moved', replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }] });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      const values = Array.from({ length: 100 }, (_, i) => `r${i}`);
      await producer.send({ topic: 'moved', acks: -1, messages: values.map((value) => ({ partition: 0, value })) });
      await producer.disconnect();

      const report = await adminCheck(classpaths.get(version)!, c.bootstrapServers.join(','), 'moved', [2, 3, 4]);
      expect(report).toMatchObject({
        replicas: '[2,3,4]',
        isr: '[2,3,4]',
        cancelIdle: 'org.apache.kafka.common.errors.NoReassignmentInProgressException',
        unclean: 'org.apache.kafka.common.errors.ElectionNotNeededException',
        dirsPerBroker: 1,
        quorumLeader: 1,
        voters: 1,
        observers: 3,
        quota: 4096,
        unregisterUnknown: 'org.apache.kafka.common.errors.BrokerIdNotRegisteredException',
      });
      // After the move broker 2 leads (the first target replica); a preferred election is then not needed.
      expect(report.leader).toBe(2);
      expect(report.preferred).toBe('org.apache.kafka.common.errors.ElectionNotNeededException');
      expect(report.sizeOnLeader).toBeGreaterThan(100 * 2);
      expect(report.quorumHighWatermark).toBeGreaterThan(0);
      // The records moved with the partition.
      const records = await readAll(c.bootstrapServers[1]!, 'moved', 0);
      expect(records.map((r) => r.value)).toEqual(values);
    });
  }
});

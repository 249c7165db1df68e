// Issue #12, proof 6 with Apache Kafka's own Java client (test/support/java/TxnCheck.java, compiled
// against org.apache.kafka:kafka-clients 4.4.0 and 3.9.1 from Maven Central by
// test/support/java/fetch-clients.sh; .ci/run fetches them ahead): a commit, an abort,
// sendOffsetsToTransaction, a fence (ProducerFencedException) and what read_committed sees.
// Skipped with a message when java, javac or mvn is missing or the fetch fails (offline).
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { READ_COMMITTED, eventually, latestOffset, readIsolated, txnTarget } from './support/txn.js';

const FETCH = fileURLToPath(new URL('./support/java/fetch-clients.sh', import.meta.url));
const VERSIONS = ['4.4.0', '3.9.1'];
const hasTools = ['java', 'javac', 'mvn'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0);
const classpaths = new Map<string, string>();
if (hasTools) {
  for (const v of VERSIONS) {
    const r = spawnSync(FETCH, [v], { encoding: 'utf8', timeout: 300_000 });
    if (r.status === 0) classpaths.set(v, r.stdout.trim().split('\n').at(-1)!);
    else console.warn(`Java client ${v} tests skipped: fetching/compiling kafka-clients ${v} failed\n${r.stderr}`);
  }
} else {
  console.warn('Java client transaction tests skipped: java, javac and mvn are needed (Java 17 + Maven)');
}

interface Report {
  fenceError: string;
  readCommitted: string[];
  readUncommitted: string[];
}

const target = txnTarget({ config: { 'transaction.state.log.num.partitions': 5, 'offsets.topic.num.partitions': 5 } });

function txnCheck(classpath: string, ...args: string[]): Promise<Report> {
  return new Promise((resolve, reject) => {
    execFile('java', ['-Xmx256m', '-XX:+UseSerialGC', '-cp', classpath, 'TxnCheck', target.bootstrap.join(','), ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as Report);
    });
  });
}

describe.runIf(classpaths.size > 0)('Apache Kafka Java client transactions', () => {
  for (const version of VERSIONS) {
    it.runIf(classpaths.has(version))(`kafka-clients ${version}: commit, abort, sendOffsetsToTransaction, fence, read_committed`, { timeout: 120_000 }, async () => {
      const tag = `java-${version.replaceAll('.', '')}`;
      const topic = await target.topic(tag);
      const input = await target.topic(`${tag}-in`);
      const group = target.unique(`${tag}-group`);
      const report = await txnCheck(classpaths.get(version)!, topic, input, group, target.unique(tag));

      expect(report.fenceError).toBe('org.apache.kafka.common.errors.ProducerFencedException');
      expect(report.readCommitted).toEqual(['c0', 'c1', 'c2', 'o0', 'winner']);
      expect(report.readUncommitted).toEqual(['c0', 'c1', 'c2', 'a0', 'a1', 'o0', 'zombie', 'winner']);

      // The same from the wire: c0-c2 (0-2) C(3) a0 a1 (4-5) A(6) o0 (7) C(8) zombie (9) A(10) winner (11) C(12).
      await eventually('the last marker to be stable', async () => ((await latestOffset(target.bootstrap[0]!, topic, 0, READ_COMMITTED)) === 13 ? true : undefined));
      const rc = await readIsolated(target.bootstrap[0]!, topic, 0, READ_COMMITTED);
      expect(rc.values).toEqual(report.readCommitted);
      expect(rc.abortedTransactions.map((a) => a.firstOffset)).toEqual([4, 9]);
      const admin = target.kafka().admin();
      await admin.connect();
      try {
        const [t] = await admin.fetchOffsets({ groupId: group, topics: [input] });
        expect(t!.partitions.find((p) => p.partition === 0)!.offset).toBe('5');
      } finally {
        await admin.disconnect();
      }
    });
  }
});

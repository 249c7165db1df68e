// Kafka 4.4's own Java client against the newest versions minikafka serves
// (test/support/java/VersionsCheck.java, compiled against org.apache.kafka:kafka-clients 4.4.0
// from Maven Central by test/support/java/fetch-clients.sh): ApiVersions v5 through the client's
// own codecs (so its first ApiVersions needs no UNSUPPORTED_VERSION retry), then admin, an
// idempotent producer (Produce v13, topic ids), a group consumer (Fetch, OffsetCommit/OffsetFetch
// v10) and Admin.listOffsets for every OffsetSpec (ListOffsets up to v11: -4, -5, -6).
// Skipped with a message when java, javac or mvn is missing or the fetch fails (offline).
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { API_LIST } from '../src/server/apis/index.js';

const FETCH = fileURLToPath(new URL('./support/java/fetch-clients.sh', import.meta.url));
const hasTools = ['java', 'javac', 'mvn'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0);
let classpath: string | null = null;
if (hasTools) {
  const r = spawnSync(FETCH, ['4.4.0'], { encoding: 'utf8', timeout: 300_000 });
  if (r.status === 0) classpath = r.stdout.trim().split('\n').at(-1)!;
  else console.warn(`Java client 4.4.0 version checks skipped: fetching/compiling kafka-clients failed\n${r.stderr}`);
} else {
  console.warn('Java client version checks skipped: java, javac and mvn are needed (Java 17 + Maven)');
}

interface Report {
  apiVersionsV5: { errorCode: number; apis: number };
  produced: number[];
  consumed: string[];
  committed: number;
  listOffsets: Record<string, number>;
}

let cluster: Cluster;

beforeAll(async () => {
  if (classpath) cluster = await startCluster({ config: { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 3 } });
});

afterAll(async () => {
  await cluster?.close();
});

function versionsCheck(...args: string[]): Promise<Report> {
  return new Promise((resolve, reject) => {
    execFile('java', ['-Xmx256m', '-XX:+UseSerialGC', '-cp', classpath!, 'VersionsCheck', cluster.bootstrapServers.join(','), ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as Report);
    });
  });
}

describe.runIf(classpath !== null)('Apache Kafka Java client 4.4.0 at the newest versions', () => {
  it('ApiVersions v5, produce, consume with a group, committed offsets and listOffsets for every OffsetSpec', { timeout: 120_000 }, async () => {
    const report = await versionsCheck('java-versions', 'java-versions-group');
    expect(report.apiVersionsV5).toEqual({ errorCode: 0, apis: API_LIST.length });
    expect(report.produced).toEqual([0, 1, 2]);
    expect(report.consumed).toEqual(['a', 'b', 'c']);
    expect(report.committed).toBe(3);
    // Without tiered storage: earliest-local is the log start, latest-tiered and
    // earliest-pending-upload are -1, as Kafka answers.
    expect(report.listOffsets).toEqual({
      earliest: 0,
      latest: 3,
      maxTimestamp: 2,
      forTimestamp: 1,
      earliestLocal: 0,
      latestTiered: -1,
      earliestPendingUpload: -1,
    });
  });
});

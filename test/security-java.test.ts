// Apache Kafka's Java client (kafka-clients 4.4.0 from Maven Central, via
// test/support/java/fetch-clients.sh's cache) through minikafka's listeners: its admin client's
// alterUserScramCredentials/describeUserScramCredentials, then SCRAM-SHA-512 over SASL_SSL with a
// PEM truststore for a producer and a consumer; a wrong password is SaslAuthenticationException.
// Skipped with a message when java, javac or mvn is missing or the fetch fails.
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';

const FETCH = fileURLToPath(new URL('./support/java/fetch-clients.sh', import.meta.url));
const SOURCE = fileURLToPath(new URL('./support/java/SecurityCheck.java', import.meta.url));
const VERSION = '4.4.0';
const hasTools = ['java', 'javac', 'mvn'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0);

/** kafka-clients' classpath with SecurityCheck compiled beside it, or null (with a warning). */
function classpath(): string | null {
  if (!hasTools) {
    console.warn('Java client security tests skipped: java, javac and mvn are needed');
    return null;
  }
  const r = spawnSync(FETCH, [VERSION], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) {
    console.warn(`Java client security tests skipped: fetching kafka-clients ${VERSION} failed\n${r.stderr}`);
    return null;
  }
  const libs = r.stdout.trim().split('\n').at(-1)!.split(':').find((p) => p.endsWith('/libs/*'))!;
  const classes = path.join(path.dirname(path.dirname(libs)), 'security-classes');
  fs.mkdirSync(classes, { recursive: true });
  const compiled = path.join(classes, 'SecurityCheck.class');
  if (!fs.existsSync(compiled) || fs.statSync(SOURCE).mtimeMs > fs.statSync(compiled).mtimeMs) {
    const c = spawnSync('javac', ['-nowarn', '-d', classes, '-cp', libs, SOURCE], { encoding: 'utf8' });
    if (c.status !== 0) throw new Error(`javac failed: ${c.stderr}`);
  }
  return `${classes}:${libs}`;
}

const cp = classpath();
let cluster: Cluster | undefined;
afterAll(async () => {
  await cluster?.close();
});

describe.runIf(cp !== null)('Apache Kafka Java client through secured listeners', () => {
  it(`kafka-clients ${VERSION}: SCRAM credentials by its admin client, SCRAM-SHA-512 over SASL_SSL, wrong password refused`, { timeout: 120_000 }, async () => {
    cluster = await startCluster({ tlsDev: true, listeners: 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0', config: { 'group.initial.rebalance.delay.ms': 0 } });
    const out = await new Promise<string>((resolve, reject) => {
      const args = ['-Xmx256m', '-XX:+UseSerialGC', '-cp', cp!, 'SecurityCheck', cluster!.bootstrapServers[0]!, cluster!.bootstrapFor('SASL_SSL')[0]!, cluster!.tlsDev!.caFile, 'java-secure'];
      execFile('java', args, { timeout: 110_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
    });
    const report = JSON.parse(out.trim().split('\n').at(-1)!) as { described: string; wrongPassword: string; consumed: string[] };
    expect(report).toEqual({
      described: 'SCRAM_SHA_512:8192',
      wrongPassword: 'org.apache.kafka.common.errors.SaslAuthenticationException',
      consumed: ['java-0', 'java-1', 'java-2'],
    });
  });
});

// ACLs with Apache Kafka's own Java client (test/support/java/AclCheck.java, compiled here
// against the kafka-clients jars test/support/java/fetch-clients.sh fetches from Maven
// Central): Admin createAcls/describeAcls (MATCH)/deleteAcls over the flexible versions, and a
// producer whose denied topic fails with TopicAuthorizationException. Skipped with a message
// when java, javac or mvn is missing or the fetch fails (offline).
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';

const FETCH = fileURLToPath(new URL('./support/java/fetch-clients.sh', import.meta.url));
const SOURCE = fileURLToPath(new URL('./support/java/AclCheck.java', import.meta.url));
const VERSIONS = ['3.9.1', '4.4.0'];
const hasTools = ['java', 'javac', 'mvn'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0);
const classes = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-aclcheck-'));
const classpaths = new Map<string, string>();
if (hasTools) {
  for (const v of VERSIONS) {
    const r = spawnSync(FETCH, [v], { encoding: 'utf8', timeout: 300_000 });
    const libs = r.status === 0 ? r.stdout.trim().split('\n').at(-1)!.split(':').at(-1)! : null;
    const out = path.join(classes, v);
    const compiled = libs !== null && spawnSync('javac', ['-nowarn', '-d', out, '-cp', libs, SOURCE], { stdio: 'ignore', timeout: 120_000 }).status === 0;
    if (compiled) classpaths.set(v, `${out}:${libs}`);
    else console.warn(`Java client ${v} ACL tests skipped: fetching kafka-clients ${v} or compiling AclCheck failed\n${r.stderr}`);
  }
} else {
  console.warn('Java client ACL tests skipped: java, javac and mvn are needed (Java 17 + Maven)');
}

function aclCheck(classpath: string, bootstrap: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile('java', ['-Xmx256m', '-XX:+UseSerialGC', '-cp', classpath, 'AclCheck', bootstrap], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!));
    });
  });
}

afterAll(() => fs.rmSync(classes, { recursive: true, force: true }));

for (const version of VERSIONS) {
  describe.skipIf(!classpaths.has(version))(`ACLs with the Java client ${version}`, () => {
    let cluster: Cluster;
    beforeAll(async () => {
      cluster = await startCluster({
        config: { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'allow.everyone.if.no.acl.found': true },
      });
    });
    afterAll(async () => {
      await cluster?.close();
    });

    it('creates, matches and deletes ACLs; the denied topic refuses the producer', async () => {
      expect(await aclCheck(classpaths.get(version)!, cluster.bootstrapServers.join(','))).toEqual({
        matched: 2,
        ok: 'OK',
        denied: 'TopicAuthorizationException',
        deleted: 2,
        left: 0,
      });
    }, 150_000);
  });
}

// `minikafka --listener … --tls-dev` as a user runs it: the ready line names every listener and
// the generated CA, and kafkajs produces and consumes through the SASL_SSL listener with that CA.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/minikafka.js', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function start(args: string[]): Promise<{ child: ChildProcess; line: string; stderr: () => string; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (let i = 0; i < 400; i++) {
    const line = out.split('\n').find((l) => l.startsWith('minikafka ready'));
    if (line) return { child, line, stderr: () => err, exit };
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ready line; stderr: ${err}`);
}

describe('cli: listeners and --tls-dev', () => {
  it('serves PLAINTEXT and SASL_SSL with a generated CA written in the data dir', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-cli-sec-'));
    dirs.push(dir);
    const proc = await start([
      '--data-dir', dir,
      '--listener', 'PLAINTEXT://127.0.0.1:0',
      '--listener', 'SASL_SSL://127.0.0.1:0',
      '--tls-dev',
      '--config', 'sasl.plain.users=alice:alice-secret',
    ]);
    const m = /^minikafka ready bootstrap=(\S+) listeners=PLAINTEXT:\/\/(\S+),SASL_SSL:\/\/(\S+) tls-ca=(\S+)$/.exec(proc.line);
    expect(m, proc.line).not.toBeNull();
    const [, bootstrap, plaintext, saslSsl, caFile] = m!;
    expect(bootstrap).toBe(plaintext);
    expect(caFile).toBe(path.join(dir, 'tls-dev', 'ca.crt'));
    expect(proc.stderr()).toContain(`CA certificate ${caFile}`);
    const kafka = new Kafka({
      clientId: 'cli-sec',
      brokers: [saslSsl!],
      ssl: { ca: [fs.readFileSync(caFile!)] },
      sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' },
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'cli-secure', messages: [{ value: 'over SASL_SSL' }] });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('cli-secure');
    expect(offsets.map((o) => o.high)).toEqual(['1']);
    await admin.disconnect();
    proc.child.kill('SIGTERM');
    expect(await proc.exit).toBe(0);
  });

  it('a bad listener exits with a line saying why', async () => {
    const child = spawn(process.execPath, [BIN, '--in-memory', '--listener', 'NOPE://127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(err).toContain('minikafka: listeners: listener NOPE has no entry in listener.security.protocol.map');
  });
});

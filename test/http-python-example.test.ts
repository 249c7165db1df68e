// The README's Python example, run as a user would: examples/pytest/test_minikafka_failover.py
// starts `minikafka --http-port 0` (this checkout's build), crashes a leader over HTTP and checks
// that a confluent_kafka consumer keeps consuming. Debian's /usr/bin/python3 with
// python3-confluent-kafka (and python3-pytest when installed; else it runs as a plain script).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PYTHON = '/usr/bin/python3';
const EXAMPLE = fileURLToPath(new URL('../examples/pytest/test_minikafka_failover.py', import.meta.url));
const README = fileURLToPath(new URL('../README.md', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/minikafka.js', import.meta.url));
const canImport = (mod: string) => fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', `import ${mod}`], { stdio: 'ignore' }).status === 0;
const hasLibrdkafka = canImport('confluent_kafka');
const hasPytest = canImport('pytest');
if (!hasLibrdkafka) console.warn('Python example test skipped: /usr/bin/python3 cannot import confluent_kafka (apt-get install python3-confluent-kafka)');

describe('README Python example', () => {
  it('is the file the README shows', () => {
    const example = fs.readFileSync(EXAMPLE, 'utf8');
    expect(fs.readFileSync(README, 'utf8')).toContain(example.slice(example.indexOf('import json')).trimEnd());
  });

  it.skipIf(!hasLibrdkafka)('crashes the leader over HTTP and the confluent_kafka consumer recovers', async () => {
    const args = hasPytest ? ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', EXAMPLE] : [EXAMPLE];
    const child = spawn(PYTHON, args, { env: { ...process.env, MINIKAFKA: `'${process.execPath}' '${BIN}'`, MINIKAFKA_LOG: 'warn' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, out).toBe(0);
    expect(out).toMatch(hasPytest ? /1 passed/ : /^ok$/m);
  }, 120_000);
});

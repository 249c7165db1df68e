// Issue #12, proof 6 with librdkafka (Debian's python3-confluent-kafka, test/support/librdkafka_txn.py):
// init_transactions, a commit, an abort, send_offsets_to_transaction in a consume-transform-produce
// step, and a fence. Against startCluster(), or MINIKAFKA_TEST_BOOTSTRAP's broker.
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { READ_COMMITTED, READ_UNCOMMITTED, eventually, latestOffset, readIsolated, txnTarget } from './support/txn.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./support/librdkafka_txn.py', import.meta.url));
const hasLibrdkafka = spawnSync(PYTHON, ['-c', 'import confluent_kafka'], { stdio: 'ignore' }).status === 0;
if (!hasLibrdkafka) {
  console.warn('librdkafka transaction tests skipped: /usr/bin/python3 cannot import confluent_kafka (apt-get install -y python3-confluent-kafka)');
}

interface TxnError {
  code: string;
  fatal: boolean;
  abortable: boolean;
  retriable: boolean;
}
interface Report {
  ok: boolean;
  error?: TxnError;
  consumed?: number;
  zombieCommit?: TxnError | null;
}

const target = txnTarget({ config: { 'transaction.state.log.num.partitions': 5, 'offsets.topic.num.partitions': 5 } });

/** Run one scenario off the event loop's back (the broker may live in this process). */
function run(scenario: string, ...args: string[]): Promise<Report> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, target.bootstrap.join(','), scenario, ...args], { timeout: 90_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Report);
    });
  });
}

const leader = () => target.bootstrap[0]!;
const stableAt = (topic: string, offset: number) =>
  eventually(`${topic}: LSO ${offset}`, async () => ((await latestOffset(leader(), topic, 0, READ_COMMITTED)) >= offset ? true : undefined));

describe.runIf(hasLibrdkafka)('librdkafka transactional producer', () => {
  it('init_transactions and a commit: the records are visible to read_committed', { timeout: 90_000 }, async () => {
    const topic = await target.topic('rdk-commit');
    expect(await run('commit', topic, target.unique('rdk-commit'), '5')).toEqual({ ok: true });
    await stableAt(topic, 6); // five records and the commit marker
    const rc = await readIsolated(leader(), topic, 0, READ_COMMITTED);
    expect(rc.values).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(rc.highWatermark).toBe(6);
  });

  it('an abort: the records are in the log, invisible to read_committed', { timeout: 90_000 }, async () => {
    const topic = await target.topic('rdk-abort');
    expect(await run('abort', topic, target.unique('rdk-abort'), '4')).toEqual({ ok: true });
    await stableAt(topic, 5); // four records and the abort marker
    const rc = await readIsolated(leader(), topic, 0, READ_COMMITTED);
    expect(rc.values).toEqual([]);
    expect(rc.abortedTransactions.map((a) => a.firstOffset)).toEqual([0]);
    expect((await readIsolated(leader(), topic, 0, READ_UNCOMMITTED)).values).toEqual(['a0', 'a1', 'a2', 'a3']);
  });

  it('send_offsets_to_transaction: output and consumed offsets commit together', { timeout: 90_000 }, async () => {
    const input = await target.topic('rdk-eos-in');
    const output = await target.topic('rdk-eos-out');
    const group = target.unique('rdk-eos-group');
    const producer = target.kafka().producer();
    await producer.connect();
    await producer.send({ topic: input, acks: -1, messages: ['x', 'y', 'z'].map((value) => ({ value, partition: 0 })) });
    await producer.disconnect();

    expect(await run('offsets', input, output, target.unique('rdk-eos'), group, '3')).toEqual({ ok: true, consumed: 3 });
    await stableAt(output, 4);
    expect((await readIsolated(leader(), output, 0, READ_COMMITTED)).values).toEqual(['X', 'Y', 'Z']);
    const admin = target.kafka().admin();
    await admin.connect();
    try {
      const offset = await eventually('the transactional offset commit', async () => {
        const [t] = await admin.fetchOffsets({ groupId: group, topics: [input] });
        const o = t!.partitions.find((p) => p.partition === 0)!.offset;
        return o === '3' ? o : undefined;
      });
      expect(offset).toBe('3');
    } finally {
      await admin.disconnect();
    }
  });

  it('a second producer with the same transactional.id fences the first: its commit fails with _FENCED', { timeout: 90_000 }, async () => {
    const topic = await target.topic('rdk-fence');
    const report = await run('fence', topic, target.unique('rdk-fence'));
    expect(report.ok).toBe(true);
    // librdkafka turns PRODUCER_FENCED / INVALID_PRODUCER_EPOCH on EndTxn into its fatal _FENCED.
    expect(report.zombieCommit).toEqual({ code: '_FENCED', fatal: true, abortable: false, retriable: false });
    await stableAt(topic, 4); // zombie, abort marker, winner, commit marker
    expect((await readIsolated(leader(), topic, 0, READ_COMMITTED)).values).toEqual(['winner']);
    expect((await readIsolated(leader(), topic, 0, READ_UNCOMMITTED)).values).toEqual(['zombie', 'winner']);
  });
});

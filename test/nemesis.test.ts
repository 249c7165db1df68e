// The nemesis (issue 9): the same seed gives the same schedule with at most one faulty broker
// in phase 1 and two in phase 2; the checker catches planted violations of every kind and
// tells client-side anomalies apart; short seeded campaigns over an in-process cluster end
// with no violation at acks=all.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkHistory, countByKind } from '../src/nemesis/checker.js';
import { payload, type History, type SendOutcome } from '../src/nemesis/history.js';
import { compareReplicas } from '../src/nemesis/replicas.js';
import { runNemesis } from '../src/nemesis/runner.js';
import { encodeRecordBatch } from '../src/protocol/recordBatch.js';
import { generateSchedule, maxConcurrentFaults } from '../src/nemesis/schedule.js';

describe('nemesis schedule', () => {
  it('the same seed gives the same schedule; another seed another one', () => {
    const a = generateSchedule({ seed: 42, durationMs: 60_000, brokers: 3 });
    const b = generateSchedule({ seed: 42, durationMs: 60_000, brokers: 3 });
    const c = generateSchedule({ seed: 43, durationMs: 60_000, brokers: 3 });
    expect(a.length).toBeGreaterThan(10);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('phase 1 has at most one faulty broker at a time, phase 2 at most two, and some seed reaches two', () => {
    let reachedTwo = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const s = generateSchedule({ seed, durationMs: 60_000, brokers: 3 });
      expect(maxConcurrentFaults(s, 0, 30_000)).toBeLessThanOrEqual(1);
      expect(maxConcurrentFaults(s, 30_000, 60_000)).toBeLessThanOrEqual(2);
      if (maxConcurrentFaults(s, 30_000, 60_000) === 2) reachedTwo++;
      for (const w of s) {
        expect(w.end).toBeLessThanOrEqual(60_000);
        expect(w.start).toBeLessThan(w.end);
        // one fault per broker at a time
        expect(s.filter((x) => x.broker === w.broker && x !== w && x.start < w.end && w.start < x.end)).toEqual([]);
      }
      expect(new Set(s.map((w) => w.kind)).size).toBeGreaterThan(3);
    }
    expect(reachedTwo).toBeGreaterThan(10);
  });
});

/** A clean history: two producers, 10 records each over 2 partitions, a group that consumed and committed all. */
function cleanHistory(): History {
  const sends: SendOutcome[] = [];
  const stored = new Map<number, { offset: number; value: string | null }[]>([
    [0, []],
    [1, []],
  ]);
  for (const client of ['a', 'b']) {
    for (let seq = 0; seq < 10; seq++) {
      const partition = seq % 2;
      const records = stored.get(partition)!;
      const offset = records.length;
      records.push({ offset, value: payload(client, seq) });
      sends.push({ client, clientKind: 'minikafka', seq, value: payload(client, seq), partition, status: 'acked', offset });
    }
  }
  const consumed = [...stored].flatMap(([partition, rs]) => rs.map((r) => ({ group: 'g', partition, offset: r.offset, value: r.value })));
  const commits = [
    { group: 'g', partition: 0, offset: 5, at: 1, kind: 'acked' as const },
    { group: 'g', partition: 0, offset: 10, at: 2, kind: 'acked' as const },
    { group: 'g', partition: 0, offset: 10, at: 3, kind: 'observed' as const },
    { group: 'g', partition: 1, offset: 10, at: 2, kind: 'acked' as const },
  ];
  return { topic: 't', partitions: 2, acks: 'all', sends, commits, consumed, stored, replicaDivergences: [] };
}

describe('nemesis checker', () => {
  it('passes a clean history', () => {
    const r = checkHistory(cleanHistory());
    expect(r.violations).toEqual([]);
    expect(r.stats).toMatchObject({ sent: 20, acked: 20, stored: 20, commits: 3, consumed: 20 });
  });

  it('detects a lost acknowledged record (a violation at acks=all, a count at acks=1)', () => {
    const h = cleanHistory();
    h.stored.set(0, h.stored.get(0)!.filter((r) => r.value !== 'a:4'));
    h.consumed = h.consumed.filter((c) => c.value !== 'a:4');
    expect(countByKind(checkHistory(h).violations)).toEqual({ lost: 1 });
    const at1 = checkHistory({ ...h, acks: 1 });
    expect(at1.violations).toEqual([]);
    expect(at1.stats.lostAtAcks1).toBe(1);
  });

  it('detects a duplicate, a reorder, an offset mismatch and a phantom', () => {
    const dup = cleanHistory();
    dup.stored.get(1)!.push({ offset: 10, value: 'a:1' });
    expect(countByKind(checkHistory(dup).violations)).toEqual({ duplicated: 1 });

    const reorder = cleanHistory();
    const p0 = reorder.stored.get(0)!;
    [p0[1]!.value, p0[2]!.value] = [p0[2]!.value, p0[1]!.value]; // a:4 stored before a:2 (each at the other's acknowledged offset)
    const kinds = countByKind(checkHistory(reorder).violations);
    expect(kinds.reordered).toBe(1);
    expect(kinds['offset-mismatch']).toBe(2);

    const shifted = cleanHistory();
    shifted.sends.find((s) => s.value === 'b:3')!.offset = 2;
    expect(countByKind(checkHistory(shifted).violations)).toEqual({ 'offset-mismatch': 1 });

    const phantom = cleanHistory();
    phantom.stored.get(1)!.push({ offset: 10, value: 'nobody:1' });
    expect(countByKind(checkHistory(phantom).violations)).toEqual({ phantom: 1 });
  });

  it('detects a commit going backwards, a commit skipping records, a consumed record the log lost, replica divergence', () => {
    const back = cleanHistory();
    back.commits.push({ group: 'g', partition: 0, offset: 7, at: 4, kind: 'observed' });
    expect(countByKind(checkHistory(back).violations)).toEqual({ 'commit-backwards': 1 });

    const skip = cleanHistory();
    skip.consumed = skip.consumed.filter((c) => !(c.partition === 1 && c.offset === 3));
    expect(countByKind(checkHistory(skip).violations)).toEqual({ 'commit-skip': 1 });

    const divergent = cleanHistory();
    divergent.consumed.push({ group: 'g', partition: 1, offset: 11, value: 'b:9' });
    expect(countByKind(checkHistory(divergent).violations)).toEqual({ 'consumed-divergent': 1 });

    const replicas = cleanHistory();
    replicas.replicaDivergences.push({ partition: 0, broker: 2, detail: 'batch #3 differs' });
    expect(countByKind(checkHistory(replicas).violations)).toEqual({ 'replica-divergence': 1 });

    const stuck = cleanHistory();
    stuck.notHealed = [{ partition: 1, broker: 3, detail: 'not back in the ISR' }];
    expect(countByKind(checkHistory(stuck).violations)).toEqual({ 'not-healed': 1 });
  });

  it('classifies the kafkajs anomalies as client-side, but not for our own producer', () => {
    const h = cleanHistory();
    for (const s of h.sends) s.clientKind = 'kafkajs';
    // not-sent: send() resolved without any answer for the record's partition
    h.sends.push({ client: 'a', clientKind: 'kafkajs', seq: 10, value: 'a:10', partition: 0, status: 'acked', offset: -1, ackWithoutPartition: true });
    // sequence-reuse: acknowledged at the offset of the same producer's earlier record, never stored
    h.sends.push({ client: 'a', clientKind: 'kafkajs', seq: 11, value: 'a:11', partition: 1, status: 'acked', offset: 2 });
    // … or answered as a duplicate whose offset the broker no longer had (offset -1)
    h.sends.push({ client: 'b', clientKind: 'kafkajs', seq: 10, value: 'b:10', partition: 0, status: 'acked', offset: -1 });
    const r = checkHistory(h);
    expect(r.violations).toEqual([]);
    expect(countByKind(r.clientAnomalies)).toEqual({ 'not-sent': 1, 'sequence-reuse': 2 });

    // resent: the same record written twice under two sequences of one producer id
    const p0 = h.stored.get(0)!;
    for (const rec of p0) Object.assign(rec, { producerId: 7, producerEpoch: 0, sequence: rec.offset });
    p0.push({ offset: 10, value: 'a:8', producerId: 7, producerEpoch: 0, sequence: 10 });
    expect(countByKind(checkHistory(h).clientAnomalies)).toEqual({ 'not-sent': 1, 'sequence-reuse': 2, resent: 1 });
    expect(checkHistory(h).violations).toEqual([]);

    for (const s of h.sends) s.clientKind = 'minikafka';
    expect(countByKind(checkHistory(h).violations)).toEqual({ 'own-client-anomaly': 4 });

    // the same write (producer id, epoch, sequence) stored twice is the broker's duplicate, whoever the client
    for (const s of h.sends) s.clientKind = 'kafkajs';
    p0[10]!.sequence = p0.find((x) => x.value === 'a:8')!.sequence;
    expect(countByKind(checkHistory(h).violations)).toEqual({ duplicated: 1 });
    for (const s of h.sends) s.clientKind = 'minikafka';
    // an acknowledged record whose offset holds another producer's record is a plain loss
    const other = cleanHistory();
    other.sends.push({ client: 'b', clientKind: 'kafkajs', seq: 12, value: 'b:12', partition: 1, status: 'acked', offset: 3 });
    expect(other.stored.get(1)![3]!.value).toBe('a:7');
    expect(countByKind(checkHistory(other).violations)).toEqual({ lost: 1 });
  });
});

describe('nemesis replica comparison (log files on disk)', () => {
  const batch = (baseOffset: number, epoch: number, seq: number, value = `v${seq}`) =>
    encodeRecordBatch({ baseOffset, partitionLeaderEpoch: epoch, producerId: 5, producerEpoch: 0, baseSequence: seq, baseTimestamp: 1000, records: [{ key: null, value: Buffer.from(value) }] });
  function writeLog(dir: string, broker: number, batches: Buffer[]): void {
    const d = path.join(dir, `broker-${broker}`, 't-0');
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, '00000000000000000000.log'), Buffer.concat(batches.slice(0, 2)));
    if (batches.length > 2) fs.writeFileSync(path.join(d, '00000000000000000002.log'), Buffer.concat(batches.slice(2)));
  }

  it('finds identical replicas equal across segments, and a differing epoch, record or missing batch below the high watermark', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nemesis-replicas-'));
    try {
      const common = [batch(0, 0, 0), batch(1, 0, 1), batch(2, 1, 2)];
      writeLog(dir, 1, [...common, batch(3, 1, 3)]);
      writeLog(dir, 2, [...common, batch(3, 1, 3)]);
      writeLog(dir, 3, [...common, batch(3, 2, 3)]); // same records, another leader epoch
      writeLog(dir, 4, [...common, batch(3, 1, 3, 'other')]);
      writeLog(dir, 5, common);
      expect(compareReplicas(dir, 't', 0, [1, 2], 4)).toEqual({ divergences: [], comparedBatches: 4 });
      // above the high watermark replicas may differ
      expect(compareReplicas(dir, 't', 0, [1, 3, 4, 5], 3).divergences).toEqual([]);
      const found = compareReplicas(dir, 't', 0, [1, 3, 4, 5], 4).divergences;
      expect(found.map((d) => d.broker)).toEqual([3, 4, 5]);
      expect(found[0]!.detail).toContain('epoch 2');
      expect(found[2]!.detail).toContain('no batch');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('nemesis campaign (in-process, short)', () => {
  for (const seed of [1, 2]) {
    // 4 s of faults each: the long campaign (scripts/nemesis-long.sh) runs 60 s seeds.
    it(`seed ${seed}: no violation at acks=all`, async () => {
      const lines: string[] = [];
      const r = await runNemesis({ seed, durationMs: 4000, brokers: 3, acks: 'all', healTimeoutMs: 20_000, print: (l) => lines.push(l) });
      if (!r.ok) console.log(lines.join('\n'));
      expect(lines[0]).toContain(`seed=${seed}`);
      expect(r.check.violations).toEqual([]);
      expect(r.check.clientAnomalies).toEqual([]);
      expect(r.check.stats.acked).toBeGreaterThan(500);
      expect(r.check.stats.commits).toBeGreaterThan(0);
      expect(r.events.filter((e) => e.outcome === 'applied').length).toBeGreaterThan(2);
    }, 150_000);
  }
});

describe('minikafka nemesis (the shipped command)', () => {
  const BIN = fileURLToPath(new URL('../bin/minikafka.js', import.meta.url));

  it('prints the seed first and a table last, writes the JSON report, exits 0 without violations', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nemesis-cli-'));
    try {
      const json = path.join(dir, 'r-{seed}.json');
      const run = spawnSync(process.execPath, [BIN, 'nemesis', '--seed', '9', '--duration', '3s', '--brokers', '3', '--json', json], { encoding: 'utf8', timeout: 60_000 });
      expect(run.status).toBe(0);
      const lines = run.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^nemesis seed=9 duration=3000ms brokers=3 acks=all/);
      expect(run.stdout).toMatch(/BROKER VIOLATIONS\s+0/);
      expect(run.stdout).toContain('result: OK');
      const report = JSON.parse(fs.readFileSync(path.join(dir, 'r-9.json'), 'utf8'));
      expect(report).toMatchObject({ seed: 9, durationMs: 3000, brokers: 3, acks: 'all', ok: true });
      expect(report.check.stats.acked).toBeGreaterThan(0);
      expect(report.schedule).toEqual(generateSchedule({ seed: 9, durationMs: 3000, brokers: 3 }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses bad options with exit code 2', () => {
    const run = spawnSync(process.execPath, [BIN, 'nemesis', '--acks', '2'], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--acks must be all or 1');
  });
});

#!/usr/bin/env node
// Long runs of the seeded wire-protocol fuzzer (test/support/fuzz.ts) against a broker child
// process: `npm run fuzz -- [cases] [--seed N] [--corpus file] [--good apiVersions|metadata|mixed] [--concurrency N] [--rss-limit MiB] [--mutator name] [--case N]`
// (default 1,000,000 cases; FUZZ_SEED also sets the seed; --corpus saves this run's corpus to the
// file, or replays with the one saved there). Needs `npm run build` (npm run fuzz does it).
// Prints the seed first, progress every check, and a summary: cases, outcomes, per-API and
// per-mutator counts, close reasons, max RSS, failures with their bytes. Exit code 1 on any failure.
import { parseArgs } from 'node:util';
import { buildCorpus } from '../dist/test/support/fuzz-corpus.js';
import { BrokerProcess, FUZZ_MAX_REQUEST_BYTES, formatSummary, fuzzSeed, produceDataSet, runFuzz, snapshotDataSet } from '../dist/test/support/fuzz.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    'rss-limit': { type: 'string', default: '400' },
    'check-every': { type: 'string', default: '20000' },
    mutator: { type: 'string' },
    corpus: { type: 'string' },
    good: { type: 'string', default: 'mixed' },
    case: { type: 'string', multiple: true },
  },
});
const cases = Number(positionals[0] ?? 1_000_000);
const seed = values.seed !== undefined ? Number(values.seed) >>> 0 : fuzzSeed();
console.log(`fuzz seed ${seed} (replay with --seed ${seed} or FUZZ_SEED=${seed}); ${cases} cases`);

const broker = await BrokerProcess.start({ 'socket.request.max.bytes': FUZZ_MAX_REQUEST_BYTES, 'group.initial.rebalance.delay.ms': 0 });
// Never leave the broker behind, whatever ends this process.
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (err) => {
    console.error(`fuzz harness failed: ${err?.stack ?? err}`);
    broker.stop().finally(() => process.exit(2));
  });
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => broker.stop().finally(() => process.exit(130)));
let summary;
try {
  await produceDataSet(broker.bootstrap);
  const baseline = await snapshotDataSet(broker.bootstrap);
  const corpus = await buildCorpus(broker.bootstrap, values.corpus);
  const bySource = {};
  for (const e of corpus) bySource[e.source] = (bySource[e.source] ?? 0) + 1;
  console.log(`broker pid ${broker.pid} at ${broker.bootstrap}; corpus ${corpus.length} frames ${JSON.stringify(bySource)}; start RSS ${broker.rssMb().toFixed(0)} MiB`);
  summary = await runFuzz({
    seed,
    cases,
    corpus,
    broker,
    baseline,
    concurrency: Number(values.concurrency),
    checkEvery: Number(values['check-every']),
    rssLimitMb: Number(values['rss-limit']),
    onlyMutator: values.mutator,
    good: values.good,
    only: values.case?.map(Number),
    onProgress: (s) => {
      const o = s.outcomes;
      console.log(
        `${new Date().toISOString()} ${s.cases} cases ${(s.wallMs / 1000).toFixed(0)}s (${((s.cases / s.wallMs) * 1000).toFixed(0)}/s) ` +
          `answered=${o.answered} closed=${o.closed} reset=${o.reset} partial=${o.partial} parked=${o.parked} ` +
          `failures=${s.failures.length} rss=${broker.exited ? '-' : broker.rssMb().toFixed(0)}MiB max=${s.maxRssMb.toFixed(0)}MiB`,
      );
    },
  });
  console.log(formatSummary(summary));
} finally {
  await broker.stop();
}
process.exit(summary.failures.length === 0 ? 0 : 1);

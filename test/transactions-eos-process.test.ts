// Issue #12, proof 3 with a broker per process (minikafka only): the exactly-once pipeline of
// test/transactions-eos.test.ts (support/eosProof.ts) with our producer, where each crash of the
// transaction coordinator's broker and of the output leader is a real SIGKILL of its process
// (stopBroker(id, { crash: true }) in process-per-broker mode). Needs dist/ (npm run build).
import { afterAll, describe, it } from 'vitest';
import { EOS_CLUSTER_CONFIG, type TxnSink } from './support/eosPipeline.js';
import { eosProof } from './support/eosProof.js';
import { EXTERNAL, txnTarget } from './support/txn.js';

const target = txnTarget({ brokers: 3, processPerBroker: true, config: EOS_CLUSTER_CONFIG });

const sinks: TxnSink[] = [];
afterAll(async () => {
  for (const s of sinks.splice(0)) await s.close();
});

describe.skipIf(EXTERNAL)('exactly-once pipeline, a process per broker, kill -9', () => {
  it('our producer: every input record in the output exactly once', { timeout: 120_000 }, () => eosProof(target, 'our producer', sinks));
});

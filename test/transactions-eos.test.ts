// Issue #12, proof 3 (minikafka only: it crashes brokers): an exactly-once consume-transform-produce
// pipeline (test/support/eosPipeline.ts) on 3 brokers, replication factor 3, min.insync.replicas 2,
// with our producer and with kafkajs's, while the test crashes the transaction coordinator's broker
// mid-transaction, restarts the pipeline mid-transaction (a new instance with the same transactional
// id fences the old one, whose commit is refused) and crashes a leader of the output topic
// mid-transaction. Afterwards every input record is in the output exactly once for read_committed:
// none lost, none duplicated; the aborted attempts are in the log (read_uncommitted sees more).
// Checked against Apache Kafka with MINIKAFKA_TEST_BOOTSTRAP + MINIKAFKA_TEST_REFERENCE_RESTART=1
// (scripts/reference-kafka.sh): a single node, so replication factor 1 and a "crash" is the
// script's kill -9 and restart of the whole broker.
import { afterAll, describe, it } from 'vitest';
import { EOS_CLUSTER_CONFIG, type TxnSink } from './support/eosPipeline.js';
import { eosProof } from './support/eosProof.js';
import { EXTERNAL, REFERENCE, txnTarget } from './support/txn.js';

const target = txnTarget({ brokers: 3, config: EOS_CLUSTER_CONFIG });

const sinks: TxnSink[] = [];
afterAll(async () => {
  for (const s of sinks.splice(0)) await s.close();
});

describe.skipIf(EXTERNAL && !REFERENCE)('exactly-once consume-transform-produce under failures (3 brokers, RF 3)', () => {
  for (const variant of ['our producer', 'kafkajs producer'] as const) {
    it(`${variant}: every input record in the output exactly once`, { timeout: REFERENCE ? 300_000 : 120_000 }, () => eosProof(target, variant, sinks));
  }
});

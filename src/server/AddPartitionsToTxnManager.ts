// KIP-890 part 1 on the partition leader (Kafka's AddPartitionsToTxnManager, Kafka 3.9): before
// a transactional batch opens a transaction in a partition, the leader asks the producer's
// transaction coordinator — the leader of partition abs(hash(transactional.id)) % n of
// __transaction_state — with AddPartitionsToTxn v4 `verifyOnly` whether the partition was added
// to the transaction. The answer's errors are translated as Kafka's manager does (PRODUCER_FENCED
// → INVALID_PRODUCER_EPOCH, TRANSACTION_ABORTABLE → INVALID_TXN_STATE for Produce below v11 (v11+
// clients handle it: `abortableErrorSupported`), a
// top-level CLUSTER_AUTHORIZATION_FAILED → INVALID_TXN_STATE, no coordinator →
// COORDINATOR_NOT_AVAILABLE, a lost connection → NETWORK_EXCEPTION), then for the Produce answer
// as Kafka's ReplicaManager.handleProduceAppend does (`produceErrorForVerification`), and for a
// TxnOffsetCommit (the group's __consumer_offsets partition, verified by the group coordinator) as
// Kafka's GroupMetadataManager.maybeConvertOffsetCommitError does (group/CoordinatorRuntime's
// writeErrorCode).
// One request per verification (Kafka batches them per coordinator; the answers are the same).
import type { Logger } from '../logger.js';
import { ErrorCode, errorName } from '../protocol/errors.js';
import {
  AddPartitionsToTxnApi,
  decodeAddPartitionsToTxnResponse,
  encodeAddPartitionsToTxnRequest,
  type AddPartitionsToTxnRequest,
} from '../protocol/messages/AddPartitionsToTxn.js';
import type { NodeClient } from '../network/NodeClient.js';
import { TRANSACTION_STATE_TOPIC } from './transaction/TransactionLog.js';

/** The broker-to-coordinator version with verifyOnly. */
export const VERIFY_ONLY_VERSION = 4;

/** Kafka's broker request.timeout.ms default. */
const VERIFY_TIMEOUT_MS = 30_000;

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** Kafka's postVerificationCallback: the error a Produce partition gets for a failed verification. */
export function produceErrorForVerification(code: number): { code: number; message: string | null } {
  switch (code) {
    case ErrorCode.INVALID_TXN_STATE:
      return { code, message: 'Partition was not added to the transaction' };
    // Retriable errors older clients may not retry: NOT_ENOUGH_REPLICAS makes them retry the produce.
    case ErrorCode.CONCURRENT_TRANSACTIONS:
    case ErrorCode.NETWORK_EXCEPTION:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.NOT_COORDINATOR:
      return { code: ErrorCode.NOT_ENOUGH_REPLICAS, message: `Unable to verify the partition has been added to the transaction. Underlying error: ${errorName(code)}` };
    default:
      return { code, message: null };
  }
}

export class AddPartitionsToTxnManager {
  private readonly clients = new Map<number, NodeClient>();

  constructor(
    /** A new client to a broker, or null when it is unknown. */
    private readonly clientFor: (nodeId: number) => NodeClient | null,
    /** The live leader of the transactional id's __transaction_state partition, or -1. */
    private readonly coordinatorFor: (transactionalId: string) => number,
    private readonly log: Logger,
    private readonly timeoutMs = VERIFY_TIMEOUT_MS,
  ) {}

  /**
   * Ask the coordinator whether these partitions are in the producer's transaction. Resolves the
   * partitions that are not (by `tpKey`) with their error (as the manager translates it); empty
   * when all are. Never rejects.
   */
  async verifyTransaction(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    partitions: TopicPartitionRef[],
    abortableErrorSupported = false,
  ): Promise<Map<string, number>> {
    const all = (code: number) => new Map(partitions.map((p) => [tpKey(p.topic, p.partition), code]));
    const node = this.coordinatorFor(transactionalId);
    const client = node < 0 ? null : this.client(node);
    if (!client) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) {
      const list = byTopic.get(p.topic) ?? [];
      list.push(p.partition);
      byTopic.set(p.topic, list);
    }
    const req: AddPartitionsToTxnRequest = {
      transactions: [{ transactionalId, producerId, producerEpoch, verifyOnly: true, topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps })) }],
      v3AndBelowTransactionalId: '',
      v3AndBelowProducerId: 0,
      v3AndBelowProducerEpoch: 0,
      v3AndBelowTopics: [],
    };
    let res;
    try {
      res = await client.request(AddPartitionsToTxnApi.key, VERIFY_ONLY_VERSION, encodeAddPartitionsToTxnRequest, decodeAddPartitionsToTxnResponse, req, this.timeoutMs);
    } catch (err) {
      this.log.warn(`AddPartitionsToTxn to broker ${node} failed with a network exception: ${(err as Error).message}`);
      return all(ErrorCode.NETWORK_EXCEPTION);
    }
    if (res.errorCode !== ErrorCode.NONE) {
      this.log.warn(`AddPartitionsToTxn to broker ${node} returned error ${res.errorCode}`);
      return all(res.errorCode === ErrorCode.CLUSTER_AUTHORIZATION_FAILED ? ErrorCode.INVALID_TXN_STATE : res.errorCode);
    }
    const unverified = new Map<string, number>();
    for (const txn of res.resultsByTransaction) {
      if (txn.transactionalId !== transactionalId) continue;
      for (const t of txn.topicResults) {
        for (const p of t.resultsByPartition) {
          if (p.partitionErrorCode === ErrorCode.NONE) continue;
          const code =
            p.partitionErrorCode === ErrorCode.PRODUCER_FENCED
              ? ErrorCode.INVALID_PRODUCER_EPOCH
              : p.partitionErrorCode === ErrorCode.TRANSACTION_ABORTABLE && !abortableErrorSupported
                ? ErrorCode.INVALID_TXN_STATE
                : p.partitionErrorCode;
          unverified.set(tpKey(t.name, p.partitionIndex), code);
        }
      }
    }
    return unverified;
  }

  private client(nodeId: number): NodeClient | null {
    let c = this.clients.get(nodeId);
    if (!c) {
      c = this.clientFor(nodeId) ?? undefined;
      if (!c) return null;
      this.clients.set(nodeId, c);
    }
    return c;
  }

  /** Close the connections (a later verification opens new ones). */
  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

// Kafka's TransactionMarkerChannelManager (with its completion handler): once PrepareCommit or
// PrepareAbort is written, the commit/abort marker goes to the leader of every partition of the
// transaction as WriteTxnMarkers v1, one request per broker carrying every marker queued for it,
// over the broker's internal client (NodeClient, as the replica fetcher uses it).
//
// - A partition whose leader is unknown, or whose answer is retriable (UNKNOWN_TOPIC_OR_PARTITION,
//   NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS(_AFTER_APPEND), REQUEST_TIMED_OUT,
//   KAFKA_STORAGE_ERROR, or a failed request), is queued again after RETRY_BACKOFF_MS with its
//   current leader. A partition whose topic is gone, or that answers UNSUPPORTED_FOR_MESSAGE_FORMAT /
//   UNSUPPORTED_VERSION, leaves the transaction without a marker, as in Kafka.
// - INVALID_PRODUCER_EPOCH or TRANSACTION_COORDINATOR_FENCED: a newer producer or coordinator
//   took over; this coordinator stops sending the transaction's markers.
// - Every marker of a transaction is checked against the coordinator before it is sent and when
//   its answer arrives (`current`): a coordinator that lost the partition, or moved to another
//   epoch, drops it (the new coordinator resends from the log).
// - When no partition is left, `done` runs (the coordinator writes CompleteCommit/CompleteAbort).
// Retries run on the broker's clock, not the coordinator's (tests drive transaction timeouts with
// a MockTime without stalling marker delivery).
import type { Logger } from '../../logger.js';
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { decodeWriteTxnMarkersResponse, encodeWriteTxnMarkersRequest, WriteTxnMarkersApi, type WriteTxnMarkersRequest } from '../../protocol/messages/WriteTxnMarkers.js';
import type { BrokerInfo, TopicImage } from '../../replication/MetadataImage.js';
import type { NodeClient } from '../../network/NodeClient.js';
import { detach, guarded } from '../../util/CrashBoundary.js';
import type { Time } from '../../util/Time.js';
import { tpKey, tpOf, type TransactionMetadata } from './TransactionMetadata.js';

export const RETRY_BACKOFF_MS = 100;
const REQUEST_TIMEOUT_MS = 10_000;
const WRITE_TXN_MARKERS_VERSION = 1;

const RETRIABLE = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.KAFKA_STORAGE_ERROR,
]);
const FENCED = new Set<number>([ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.TRANSACTION_COORDINATOR_FENCED]);
const NOT_APPLICABLE = new Set<number>([ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, ErrorCode.UNSUPPORTED_VERSION]);

export interface MarkerChannelHost {
  readonly image: { readonly brokers: ReadonlyMap<number, BrokerInfo>; readonly topics: ReadonlyMap<string, TopicImage> };
  /** A client to another broker (null when it is unknown). */
  clientFor(nodeId: number): NodeClient | null;
}

/** The markers of one transaction being completed (Kafka's PendingCompleteTxn). */
export interface PendingCompleteTxn {
  readonly metadata: TransactionMetadata;
  /** The __transaction_state partition of the transactional id. */
  readonly txnPartition: number;
  readonly coordinatorEpoch: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly commit: boolean;
  /** Still the coordinator's transaction at this epoch. */
  current(): boolean;
  /** Every partition has its marker (or left the transaction). */
  done(): void;
}

interface Tracked {
  txn: PendingCompleteTxn;
  remaining: Set<string>;
  cancelled: boolean;
}

export class TransactionMarkerChannelManager {
  /** Markers waiting to be sent, by destination broker. */
  private readonly queues = new Map<number, Map<Tracked, Set<string>>>();
  private readonly inFlight = new Set<number>();
  private readonly tracked = new Set<Tracked>();
  private readonly clients = new Map<number, { client: NodeClient; address: string }>();
  private flushScheduled = false;
  private closed = false;
  /** WriteTxnMarkers requests sent (tests look at it). */
  requestsSent = 0;

  constructor(
    private readonly host: MarkerChannelHost,
    private readonly log: Logger,
    private readonly time: Time,
  ) {}

  /** Send the transaction's markers to the leaders of its partitions (metadata.partitions). */
  addTxnMarkersToSend(txn: PendingCompleteTxn): void {
    const t: Tracked = { txn, remaining: new Set(txn.metadata.partitions), cancelled: false };
    this.tracked.add(t);
    this.enqueue(t, [...t.remaining]);
    this.maybeDone(t);
  }

  /** Stop sending for the transactions of a __transaction_state partition (it was unloaded or reloaded). */
  removeMarkersForTxnTopicPartition(index: number): void {
    for (const t of this.tracked) if (t.txn.txnPartition === index) this.cancel(t);
  }

  /** Transactions whose markers are still being sent. */
  get pendingTransactions(): number {
    return this.tracked.size;
  }

  close(): void {
    this.closed = true;
    for (const t of [...this.tracked]) this.cancel(t);
    for (const { client } of this.clients.values()) client.close();
    this.clients.clear();
  }

  private cancel(t: Tracked): void {
    t.cancelled = true;
    this.tracked.delete(t);
    for (const q of this.queues.values()) q.delete(t);
  }

  /** Queue partitions for their current leaders; the unknown ones retry later, the gone ones leave the transaction. */
  private enqueue(t: Tracked, partitions: string[]): void {
    if (t.cancelled || this.closed) return;
    const later: string[] = [];
    for (const key of partitions) {
      const { topic, partition } = tpOf(key);
      const state = this.host.image.topics.get(topic)?.partitions[partition];
      if (!state) {
        this.log.info(`${topic}-${partition} is gone: ${t.txn.metadata.transactionalId}'s marker is not written there`);
        this.written(t, key);
        continue;
      }
      const leader = this.host.image.brokers.get(state.leader);
      if (!leader || leader.fenced) {
        later.push(key);
        continue;
      }
      let q = this.queues.get(leader.nodeId);
      if (!q) this.queues.set(leader.nodeId, (q = new Map()));
      let set = q.get(t);
      if (!set) q.set(t, (set = new Set()));
      set.add(key);
    }
    if (later.length > 0) this.retryLater(t, later);
    this.scheduleFlush();
  }

  private retryLater(t: Tracked, partitions: string[]): void {
    this.time.setTimeout(guarded(this.log, 'requeueing transaction markers', () => this.enqueue(t, partitions)), RETRY_BACKOFF_MS).unref();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    setImmediate(
      guarded(this.log, 'sending transaction markers', () => {
        this.flushScheduled = false;
        for (const nodeId of [...this.queues.keys()]) this.flush(nodeId);
      }),
    );
  }

  private clientOf(nodeId: number): NodeClient | null {
    const b = this.host.image.brokers.get(nodeId);
    if (!b) return null;
    const address = `${b.host}:${b.port}`;
    const cached = this.clients.get(nodeId);
    if (cached && cached.address === address) return cached.client;
    cached?.client.close();
    const client = this.host.clientFor(nodeId);
    if (client) this.clients.set(nodeId, { client, address });
    return client;
  }

  /** One WriteTxnMarkers to a broker with everything queued for it (none while one is in flight). */
  private flush(nodeId: number): void {
    const q = this.queues.get(nodeId);
    if (!q || q.size === 0 || this.inFlight.has(nodeId) || this.closed) return;
    this.queues.delete(nodeId);
    const entries = [...q].filter(([t]) => {
      if (t.cancelled) return false;
      if (t.txn.current()) return true;
      this.log.info(`no longer the coordinator of ${t.txn.metadata.transactionalId} at epoch ${t.txn.coordinatorEpoch}: its markers are not sent`);
      this.cancel(t);
      return false;
    });
    if (entries.length === 0) return;
    const client = this.clientOf(nodeId);
    if (!client) {
      for (const [t, keys] of entries) this.retryLater(t, [...keys]);
      return;
    }
    const request: WriteTxnMarkersRequest = {
      markers: entries.map(([t, keys]) => {
        const topics = new Map<string, number[]>();
        for (const key of keys) {
          const { topic, partition } = tpOf(key);
          topics.set(topic, [...(topics.get(topic) ?? []), partition]);
        }
        return {
          producerId: t.txn.producerId,
          producerEpoch: t.txn.producerEpoch,
          transactionResult: t.txn.commit,
          topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
          coordinatorEpoch: t.txn.coordinatorEpoch,
        };
      }),
    };
    this.inFlight.add(nodeId);
    this.requestsSent++;
    const sent = client
      .request(WriteTxnMarkersApi.key, WRITE_TXN_MARKERS_VERSION, encodeWriteTxnMarkersRequest, decodeWriteTxnMarkersResponse, request, REQUEST_TIMEOUT_MS)
      .then(
        (res) => {
          const byProducer = new Map(res.markers.map((m) => [m.producerId, m]));
          for (const [t, keys] of entries) {
            const errors = new Map<string, number>();
            for (const topic of byProducer.get(t.txn.producerId)?.topics ?? []) {
              for (const p of topic.partitions) errors.set(tpKey(topic.name, p.partitionIndex), p.errorCode);
            }
            this.handleResult(t, [...keys], errors);
          }
        },
        (err: Error) => {
          this.log.debug(`WriteTxnMarkers to broker ${nodeId} failed: ${err.message}; retrying`);
          for (const [t, keys] of entries) this.retryLater(t, [...keys]);
        },
      )
      .finally(() => {
        this.inFlight.delete(nodeId);
        if (this.queues.get(nodeId)?.size) this.scheduleFlush();
      });
    detach(this.log, `WriteTxnMarkers to broker ${nodeId}`, sent);
  }

  /** Kafka's TransactionMarkerRequestCompletionHandler, for one transaction's partitions at one broker. */
  private handleResult(t: Tracked, keys: string[], errors: Map<string, number>): void {
    if (t.cancelled) return;
    const id = t.txn.metadata.transactionalId;
    if (!t.txn.current()) {
      this.log.info(`no longer the coordinator of ${id} at epoch ${t.txn.coordinatorEpoch}: stop sending its markers`);
      this.cancel(t);
      return;
    }
    const retry: string[] = [];
    for (const key of keys) {
      // A partition the answer does not mention is sent again.
      const code = errors.get(key) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      if (code === ErrorCode.NONE || NOT_APPLICABLE.has(code)) {
        this.written(t, key);
      } else if (FENCED.has(code)) {
        this.log.warn(`${id}'s marker for ${tpOf(key).topic}-${tpOf(key).partition} was refused (${errorName(code)}): stop sending its markers`);
        this.cancel(t);
        return;
      } else {
        if (!RETRIABLE.has(code)) this.log.warn(`unexpected ${errorName(code)} writing ${id}'s marker to ${tpOf(key).topic}-${tpOf(key).partition}; retrying`);
        retry.push(key);
      }
    }
    if (retry.length > 0) this.retryLater(t, retry);
    this.maybeDone(t);
  }

  private written(t: Tracked, key: string): void {
    t.remaining.delete(key);
    t.txn.metadata.removePartition(key);
  }

  private maybeDone(t: Tracked): void {
    if (t.cancelled || t.remaining.size > 0) return;
    this.tracked.delete(t);
    t.txn.done();
  }
}

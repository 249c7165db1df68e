// The transactional producer's coordinator requests (Kafka's TxnRequestHandler subclasses):
// FindCoordinator (key type 1 transaction, 0 group), InitProducerId, AddPartitionsToTxn,
// AddOffsetsToTxn, TxnOffsetCommit, EndTxn. Each knows its API versions (the highest ones
// before transaction version 2: AddPartitionsToTxn v0-3, EndTxn v0-4, ...), builds its request
// from the producer id/epoch of when it was made, and classifies the answer as Java does: done,
// retry (re-finding the coordinator on NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE), abortable
// or fatal error.
import { decodeAddOffsetsToTxnResponse, encodeAddOffsetsToTxnRequest, type AddOffsetsToTxnResponse } from '../protocol/messages/AddOffsetsToTxn.js';
import { decodeAddPartitionsToTxnResponse, encodeAddPartitionsToTxnRequest, type AddPartitionsToTxnResponse } from '../protocol/messages/AddPartitionsToTxn.js';
import { decodeEndTxnResponse, encodeEndTxnRequest, type EndTxnResponse } from '../protocol/messages/EndTxn.js';
import { decodeFindCoordinatorResponse, encodeFindCoordinatorRequest, type FindCoordinatorResponse } from '../protocol/messages/FindCoordinator.js';
import { decodeInitProducerIdResponse, encodeInitProducerIdRequest, type InitProducerIdResponse } from '../protocol/messages/InitProducerId.js';
import { decodeTxnOffsetCommitResponse, encodeTxnOffsetCommitRequest, type TxnOffsetCommitResponse } from '../protocol/messages/TxnOffsetCommit.js';
import type { Reader, Writer } from '../protocol/primitives.js';
import { CommitFailedError, GroupAuthorizationError, IllegalStateError, ProducerError, TopicAuthorizationError, isRetriable, txnError } from './errors.js';
import type { TransactionManager, TxnPartition } from './TransactionManager.js';
import { TransactionalRequestResult } from './TransactionalRequestResult.js';

/** FindCoordinator key type: 0 group, 1 transaction. */
export type CoordinatorType = 'group' | 'transaction';

export interface CoordinatorNode {
  nodeId: number;
  host: string;
  port: number;
}

/** One offset of sendOffsetsToTransaction (Java's TopicPartition -> OffsetAndMetadata). */
export interface TxnOffset {
  topic: string;
  partition: number;
  /** The next offset to consume (the last processed offset + 1). */
  offset: number | bigint | string;
  metadata?: string | null;
  leaderEpoch?: number;
}

/** The consumer's group (Java's ConsumerGroupMetadata); a group id alone means generation -1, no member id. */
export interface GroupMetadata {
  groupId: string;
  generationId?: number;
  memberId?: string;
  groupInstanceId?: string | null;
}

/** sendOffsetsToTransaction's arguments checked (IllegalStateError for a bad one) and copied. */
export function checkTxnOffsets(offsets: readonly TxnOffset[], groupMetadata: GroupMetadata | string): { offsets: TxnOffset[]; group: GroupMetadata } {
  const group = typeof groupMetadata === 'string' ? { groupId: groupMetadata } : groupMetadata;
  if (group === null || typeof group !== 'object' || typeof group.groupId !== 'string') throw new IllegalStateError('sendOffsetsToTransaction needs a group id');
  if (!Array.isArray(offsets)) throw new IllegalStateError('offsets must be an array of { topic, partition, offset }');
  for (const o of offsets) {
    const off = Number(o?.offset);
    if (typeof o?.topic !== 'string' || !Number.isInteger(o.partition) || o.partition < 0 || !(off >= 0)) {
      throw new IllegalStateError(`Invalid offset to send to the transaction: ${JSON.stringify(o, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
    }
  }
  return { offsets: offsets.map((o) => ({ ...o })), group: { ...group } };
}

/** Send order: FindCoordinator first, EndTxn last but for the epoch bump that follows it. */
export const Priority = { FIND_COORDINATOR: 0, INIT_PRODUCER_ID: 1, ADD_PARTITIONS_OR_OFFSETS: 2, END_TXN: 3, EPOCH_BUMP: 4 } as const;

const NONE = 0;
const REQUEST_TIMED_OUT = 7;
const COORDINATOR_NOT_AVAILABLE = 15;
const NOT_COORDINATOR = 16;
const ILLEGAL_GENERATION = 22;
const UNKNOWN_MEMBER_ID = 25;
const TOPIC_AUTHORIZATION_FAILED = 29;
const GROUP_AUTHORIZATION_FAILED = 30;
const CLUSTER_AUTHORIZATION_FAILED = 31;
const UNSUPPORTED_FOR_MESSAGE_FORMAT = 43;
const INVALID_PRODUCER_EPOCH = 47;
const INVALID_TXN_STATE = 48;
const INVALID_PRODUCER_ID_MAPPING = 49;
const CONCURRENT_TRANSACTIONS = 51;
const TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53;
const OPERATION_NOT_ATTEMPTED = 55;
const UNKNOWN_PRODUCER_ID = 59;
const FENCED_INSTANCE_ID = 82;
const PRODUCER_FENCED = 90;
const TRANSACTION_ABORTABLE = 120;

/** AddPartitionsToTxn's backoff for CONCURRENT_TRANSACTIONS on the first partitions of a transaction (Java's 20 ms). */
export const ADD_PARTITIONS_RETRY_BACKOFF_MS = 20;

const fenced = () => txnError(PRODUCER_FENCED);

export abstract class TxnRequestHandler<Res = unknown> {
  isRetry = false;
  /** When a retry may be sent (0: not scheduled yet); the Sender sets it. */
  notBefore = 0;
  /** The node the Sender started connecting to for this request (a failure there means: find the coordinator again). */
  connectingTo: number | null = null;
  abstract readonly apiKey: number;
  abstract readonly minVersion: number;
  abstract readonly maxVersion: number;
  abstract readonly priority: number;
  readonly isEndTxn: boolean = false;

  constructor(
    protected readonly tm: TransactionManager,
    readonly result: TransactionalRequestResult,
  ) {}

  /** Which coordinator it goes to; null = any broker (the least loaded one). */
  coordinatorType(): CoordinatorType | null {
    return 'transaction';
  }

  coordinatorKey(): string {
    return this.tm.transactionalId!;
  }

  retryBackoffMs(): number {
    return this.tm.retryBackoffMs;
  }

  abstract encode(w: Writer, version: number): void;
  abstract decode(r: Reader, version: number): Res;
  abstract handleResponse(res: Res): void;

  fatalError(e: ProducerError): void {
    this.result.fail(e);
    this.tm.transitionToFatalError(e);
  }

  abortableError(e: ProducerError): void {
    this.result.fail(e);
    this.tm.transitionToAbortableError(e);
  }

  abortableErrorIfPossible(e: ProducerError): void {
    if (this.tm.canBumpEpoch()) {
      this.tm.epochBumpRequired = true;
      this.abortableError(e);
    } else this.fatalError(e);
  }

  reenqueue(): void {
    this.tm.retry(this);
  }

  /** No answer (disconnected, timed out): find the coordinator again and retry. */
  onDisconnect(): void {
    const type = this.coordinatorType();
    if (type !== null) this.tm.lookupCoordinator(type, this.coordinatorKey());
    this.reenqueue();
  }

  protected findCoordinatorAndRetry(): void {
    this.tm.lookupCoordinator('transaction', this.tm.transactionalId!);
    this.reenqueue();
  }
}

export class FindCoordinatorHandler extends TxnRequestHandler<FindCoordinatorResponse> {
  readonly apiKey = 10;
  readonly minVersion = 1;
  readonly maxVersion = 5;
  readonly priority = Priority.FIND_COORDINATOR;

  constructor(
    tm: TransactionManager,
    readonly type: CoordinatorType,
    readonly key: string,
  ) {
    super(tm, new TransactionalRequestResult('FindCoordinator'));
  }

  override coordinatorType(): CoordinatorType | null {
    return null;
  }

  encode(w: Writer, version: number): void {
    encodeFindCoordinatorRequest(w, version, { key: this.key, keyType: this.type === 'group' ? 0 : 1, coordinatorKeys: [this.key] });
  }

  decode(r: Reader, version: number): FindCoordinatorResponse {
    return decodeFindCoordinatorResponse(r, version);
  }

  handleResponse(res: FindCoordinatorResponse): void {
    // v4+ answers per key; earlier versions at the top level.
    const c = res.coordinators.length > 0 ? res.coordinators[0]! : { nodeId: res.nodeId, host: res.host, port: res.port, errorCode: res.errorCode, errorMessage: res.errorMessage };
    const code = c.errorCode;
    if (code === NONE) {
      const node = { nodeId: c.nodeId, host: c.host, port: c.port };
      if (this.type === 'group') this.tm.groupCoordinator = node;
      else this.tm.transactionCoordinator = node;
      this.result.done();
    } else if (isRetriable(code)) {
      this.reenqueue();
    } else if (code === TRANSACTIONAL_ID_AUTHORIZATION_FAILED) {
      this.fatalError(txnError(code, c.errorMessage));
    } else if (code === GROUP_AUTHORIZATION_FAILED) {
      this.abortableError(new GroupAuthorizationError(code, `Not authorized to access group: ${this.key}`));
    } else if (code === TRANSACTION_ABORTABLE) {
      this.abortableError(txnError(code, c.errorMessage));
    } else {
      this.fatalError(new ProducerError(`Could not find a coordinator with type ${this.type} with key ${this.key} due to unexpected error: ${c.errorMessage ?? txnError(code).message}`));
    }
  }
}

export class InitProducerIdHandler extends TxnRequestHandler<InitProducerIdResponse> {
  readonly apiKey = 22;
  readonly minVersion = 0;
  readonly maxVersion = 5;
  readonly priority: number;
  private readonly producerId: number;
  private readonly producerEpoch: number;

  constructor(
    tm: TransactionManager,
    result: TransactionalRequestResult,
    readonly isEpochBump: boolean,
  ) {
    super(tm, result);
    this.priority = isEpochBump ? Priority.EPOCH_BUMP : Priority.INIT_PRODUCER_ID;
    // KIP-360: an epoch bump names the current producer id and epoch (InitProducerId v3+).
    this.producerId = isEpochBump ? tm.producerId : -1;
    this.producerEpoch = isEpochBump ? tm.producerEpoch : -1;
  }

  encode(w: Writer, version: number): void {
    encodeInitProducerIdRequest(w, version, {
      transactionalId: this.tm.transactionalId,
      transactionTimeoutMs: this.tm.transactionTimeoutMs,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
    });
  }

  decode(r: Reader, version: number): InitProducerIdResponse {
    return decodeInitProducerIdResponse(r, version);
  }

  handleResponse(res: InitProducerIdResponse): void {
    const code = res.errorCode;
    if (code === NONE) {
      this.tm.setTransactionalProducerIdAndEpoch(res.producerId, res.producerEpoch, this.isEpochBump);
      this.result.done();
    } else if (code === NOT_COORDINATOR || code === COORDINATOR_NOT_AVAILABLE) {
      this.findCoordinatorAndRetry();
    } else if (isRetriable(code)) {
      this.reenqueue();
    } else if (code === TRANSACTIONAL_ID_AUTHORIZATION_FAILED || code === CLUSTER_AUTHORIZATION_FAILED) {
      this.abortableError(txnError(code));
    } else if (code === INVALID_PRODUCER_EPOCH || code === PRODUCER_FENCED) {
      this.fatalError(fenced());
    } else if (code === TRANSACTION_ABORTABLE) {
      this.abortableError(txnError(code));
    } else {
      this.fatalError(new ProducerError(`Unexpected error in InitProducerIdResponse; ${txnError(code).message}`));
    }
  }
}

export class AddPartitionsToTxnHandler extends TxnRequestHandler<AddPartitionsToTxnResponse> {
  readonly apiKey = 24;
  readonly minVersion = 0;
  readonly maxVersion = 3; // v4+ is the brokers' batched form
  readonly priority = Priority.ADD_PARTITIONS_OR_OFFSETS;
  private backoffMs: number;
  private readonly producerId: number;
  private readonly producerEpoch: number;

  constructor(
    tm: TransactionManager,
    readonly partitions: TxnPartition[],
  ) {
    super(tm, new TransactionalRequestResult('AddPartitionsToTxn'));
    this.backoffMs = tm.retryBackoffMs;
    this.producerId = tm.producerId;
    this.producerEpoch = tm.producerEpoch;
  }

  override retryBackoffMs(): number {
    return Math.min(this.tm.retryBackoffMs, this.backoffMs);
  }

  encode(w: Writer, version: number): void {
    const byTopic = new Map<string, number[]>();
    for (const tp of this.partitions) {
      let list = byTopic.get(tp.topic);
      if (list === undefined) byTopic.set(tp.topic, (list = []));
      list.push(tp.partition);
    }
    encodeAddPartitionsToTxnRequest(w, version, {
      transactions: [],
      v3AndBelowTransactionalId: this.tm.transactionalId!,
      v3AndBelowProducerId: this.producerId,
      v3AndBelowProducerEpoch: this.producerEpoch,
      v3AndBelowTopics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    });
  }

  decode(r: Reader, version: number): AddPartitionsToTxnResponse {
    return decodeAddPartitionsToTxnResponse(r, version);
  }

  handleResponse(res: AddPartitionsToTxnResponse): void {
    const tm = this.tm;
    this.backoffMs = tm.retryBackoffMs;
    const answered: [string, number, number][] = [];
    for (const t of res.resultsByTopicV3AndBelow) for (const p of t.resultsByPartition) answered.push([t.name, p.partitionIndex, p.partitionErrorCode]);
    let hasPartitionErrors = false;
    const unauthorized = new Set<string>();
    const failed: string[] = [];
    for (const [topic, partition, code] of answered) {
      if (code === NONE) continue;
      if (code === COORDINATOR_NOT_AVAILABLE || code === NOT_COORDINATOR) return this.findCoordinatorAndRetry();
      if (code === CONCURRENT_TRANSACTIONS) {
        // The previous transaction is still completing: retry soon rather than after a full backoff.
        if (tm.partitionsInTransaction.size === 0) this.backoffMs = ADD_PARTITIONS_RETRY_BACKOFF_MS;
        return this.reenqueue();
      }
      if (isRetriable(code)) return this.reenqueue();
      if (code === INVALID_PRODUCER_EPOCH || code === PRODUCER_FENCED) return this.fatalError(fenced());
      if (code === TRANSACTIONAL_ID_AUTHORIZATION_FAILED || code === INVALID_TXN_STATE) return this.fatalError(txnError(code));
      if (code === UNKNOWN_PRODUCER_ID || code === INVALID_PRODUCER_ID_MAPPING) return this.abortableErrorIfPossible(txnError(code));
      if (code === TRANSACTION_ABORTABLE) return this.abortableError(txnError(code));
      if (code === TOPIC_AUTHORIZATION_FAILED) unauthorized.add(topic);
      else if (code !== OPERATION_NOT_ATTEMPTED) failed.push(`${topic}-${partition}: ${txnError(code).codeName}`);
      hasPartitionErrors = true;
    }
    // The partitions leave the pending set whatever the outcome (an error state aborts their batches).
    for (const tp of this.partitions) tm.pendingPartitionsInTransaction.delete(`${tp.topic}-${tp.partition}`);
    if (unauthorized.size > 0) {
      this.abortableError(new TopicAuthorizationError(TOPIC_AUTHORIZATION_FAILED, `Not authorized to access topics: [${[...unauthorized].join(', ')}]`));
    } else if (hasPartitionErrors) {
      this.abortableError(new ProducerError(`Could not add partitions to transaction due to errors: ${failed.join(', ') || 'OPERATION_NOT_ATTEMPTED'}`));
    } else {
      for (const tp of this.partitions) tm.partitionsInTransaction.set(`${tp.topic}-${tp.partition}`, tp);
      tm.transactionStarted = true;
      this.result.done();
    }
  }
}

export class AddOffsetsToTxnHandler extends TxnRequestHandler<AddOffsetsToTxnResponse> {
  readonly apiKey = 25;
  readonly minVersion = 0;
  readonly maxVersion = 4;
  readonly priority = Priority.ADD_PARTITIONS_OR_OFFSETS;
  private readonly producerId: number;
  private readonly producerEpoch: number;

  constructor(
    tm: TransactionManager,
    readonly offsets: TxnOffset[],
    readonly group: GroupMetadata,
  ) {
    super(tm, new TransactionalRequestResult('AddOffsetsToTxn'));
    this.producerId = tm.producerId;
    this.producerEpoch = tm.producerEpoch;
  }

  encode(w: Writer, version: number): void {
    encodeAddOffsetsToTxnRequest(w, version, { transactionalId: this.tm.transactionalId!, producerId: this.producerId, producerEpoch: this.producerEpoch, groupId: this.group.groupId });
  }

  decode(r: Reader, version: number): AddOffsetsToTxnResponse {
    return decodeAddOffsetsToTxnResponse(r, version);
  }

  handleResponse(res: AddOffsetsToTxnResponse): void {
    const code = res.errorCode;
    if (code === NONE) {
      // The result completes when the group coordinator has taken the offsets.
      this.tm.enqueue(new TxnOffsetCommitHandler(this.tm, this.result, this.offsets, this.group));
      this.tm.transactionStarted = true;
    } else if (code === COORDINATOR_NOT_AVAILABLE || code === NOT_COORDINATOR) {
      this.findCoordinatorAndRetry();
    } else if (isRetriable(code)) {
      this.reenqueue();
    } else if (code === UNKNOWN_PRODUCER_ID || code === INVALID_PRODUCER_ID_MAPPING) {
      this.abortableErrorIfPossible(txnError(code));
    } else if (code === INVALID_PRODUCER_EPOCH || code === PRODUCER_FENCED) {
      this.fatalError(fenced());
    } else if (code === TRANSACTIONAL_ID_AUTHORIZATION_FAILED || code === INVALID_TXN_STATE) {
      this.fatalError(txnError(code));
    } else if (code === GROUP_AUTHORIZATION_FAILED) {
      this.abortableError(new GroupAuthorizationError(code, `Not authorized to access group: ${this.group.groupId}`));
    } else if (code === TRANSACTION_ABORTABLE) {
      this.abortableError(txnError(code));
    } else {
      this.fatalError(new ProducerError(`Unexpected error in AddOffsetsToTxnResponse: ${txnError(code).message}`));
    }
  }
}

export class TxnOffsetCommitHandler extends TxnRequestHandler<TxnOffsetCommitResponse> {
  readonly apiKey = 28;
  readonly minVersion = 0;
  readonly maxVersion = 4;
  readonly priority = Priority.ADD_PARTITIONS_OR_OFFSETS;
  private readonly producerId: number;
  private readonly producerEpoch: number;

  constructor(
    tm: TransactionManager,
    result: TransactionalRequestResult,
    offsets: TxnOffset[],
    readonly group: GroupMetadata,
  ) {
    super(tm, result);
    for (const o of offsets) tm.pendingTxnOffsetCommits.set(`${o.topic}-${o.partition}`, o);
    this.producerId = tm.producerId;
    this.producerEpoch = tm.producerEpoch;
  }

  override coordinatorType(): CoordinatorType | null {
    return 'group';
  }

  override coordinatorKey(): string {
    return this.group.groupId;
  }

  encode(w: Writer, version: number): void {
    const byTopic = new Map<string, TxnOffset[]>();
    for (const o of this.tm.pendingTxnOffsetCommits.values()) {
      let list = byTopic.get(o.topic);
      if (list === undefined) byTopic.set(o.topic, (list = []));
      list.push(o);
    }
    const g = this.group;
    encodeTxnOffsetCommitRequest(w, version, {
      transactionalId: this.tm.transactionalId!,
      groupId: g.groupId,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      generationId: g.generationId ?? -1,
      memberId: g.memberId ?? '',
      groupInstanceId: g.groupInstanceId ?? null,
      topics: [...byTopic].map(([name, list]) => ({
        name,
        partitions: list.map((o) => ({
          partitionIndex: o.partition,
          committedOffset: typeof o.offset === 'string' ? BigInt(o.offset) : o.offset,
          committedLeaderEpoch: o.leaderEpoch ?? -1,
          committedMetadata: o.metadata === undefined ? '' : o.metadata,
        })),
      })),
    });
  }

  decode(r: Reader, version: number): TxnOffsetCommitResponse {
    return decodeTxnOffsetCommitResponse(r, version);
  }

  handleResponse(res: TxnOffsetCommitResponse): void {
    const tm = this.tm;
    let coordinatorReloaded = false;
    outer: for (const t of res.topics) {
      for (const p of t.partitions) {
        const code = p.errorCode;
        if (code === NONE) {
          tm.pendingTxnOffsetCommits.delete(`${t.name}-${p.partitionIndex}`);
        } else if (code === COORDINATOR_NOT_AVAILABLE || code === NOT_COORDINATOR || code === REQUEST_TIMED_OUT) {
          if (!coordinatorReloaded) {
            coordinatorReloaded = true;
            tm.lookupCoordinator('group', this.group.groupId);
          }
        } else if (isRetriable(code)) {
          continue; // retried with the same coordinator
        } else if (code === GROUP_AUTHORIZATION_FAILED) {
          this.abortableError(new GroupAuthorizationError(code, `Not authorized to access group: ${this.group.groupId}`));
          break outer;
        } else if (code === FENCED_INSTANCE_ID || code === TRANSACTION_ABORTABLE) {
          this.abortableError(txnError(code));
          break outer;
        } else if (code === UNKNOWN_MEMBER_ID || code === ILLEGAL_GENERATION) {
          this.abortableError(new CommitFailedError(`Transaction offset Commit failed due to consumer group metadata mismatch: ${txnError(code).message}`));
          break outer;
        } else if (code === INVALID_PRODUCER_EPOCH || code === PRODUCER_FENCED) {
          this.fatalError(fenced());
          break outer;
        } else if (code === TRANSACTIONAL_ID_AUTHORIZATION_FAILED || code === UNSUPPORTED_FOR_MESSAGE_FORMAT) {
          this.fatalError(txnError(code));
          break outer;
        } else {
          this.fatalError(new ProducerError(`Unexpected error in TxnOffsetCommitResponse: ${txnError(code).message}`));
          break outer;
        }
      }
    }
    if (this.result.isCompleted) tm.pendingTxnOffsetCommits.clear();
    else if (tm.pendingTxnOffsetCommits.size === 0) this.result.done();
    else this.reenqueue(); // the offsets that failed with a retriable error
  }
}

export class EndTxnHandler extends TxnRequestHandler<EndTxnResponse> {
  readonly apiKey = 26;
  readonly minVersion = 0;
  readonly maxVersion = 4; // v5 is transaction version 2
  readonly priority = Priority.END_TXN;
  override readonly isEndTxn = true;
  private readonly producerId: number;
  private readonly producerEpoch: number;

  constructor(
    tm: TransactionManager,
    readonly commit: boolean,
  ) {
    super(tm, new TransactionalRequestResult(`EndTxn(${commit})`));
    this.producerId = tm.producerId;
    this.producerEpoch = tm.producerEpoch;
  }

  encode(w: Writer, version: number): void {
    encodeEndTxnRequest(w, version, { transactionalId: this.tm.transactionalId!, producerId: this.producerId, producerEpoch: this.producerEpoch, committed: this.commit });
  }

  decode(r: Reader, version: number): EndTxnResponse {
    return decodeEndTxnResponse(r, version);
  }

  handleResponse(res: EndTxnResponse): void {
    const code = res.errorCode;
    if (code === NONE) {
      this.tm.completeTransaction();
      this.result.done();
    } else if (code === COORDINATOR_NOT_AVAILABLE || code === NOT_COORDINATOR) {
      this.findCoordinatorAndRetry();
    } else if (isRetriable(code)) {
      this.reenqueue();
    } else if (code === INVALID_PRODUCER_EPOCH || code === PRODUCER_FENCED) {
      this.fatalError(fenced());
    } else if (code === TRANSACTIONAL_ID_AUTHORIZATION_FAILED || code === INVALID_TXN_STATE) {
      this.fatalError(txnError(code));
    } else if (code === UNKNOWN_PRODUCER_ID || code === INVALID_PRODUCER_ID_MAPPING) {
      this.abortableErrorIfPossible(txnError(code));
    } else if (code === TRANSACTION_ABORTABLE) {
      this.abortableError(txnError(code));
    } else {
      this.fatalError(new ProducerError(`Unhandled error in EndTxnResponse: ${txnError(code).message}`));
    }
  }
}

// Which API checks what, in one table (Kafka's KafkaApis authorization, 3.9): each rule runs
// before the handler when the authorizer is on (authorizer.class.name set) and either refuses
// the whole request with the API's error shape (CLUSTER_/GROUP_/TRANSACTIONAL_ID_AUTHORIZATION_FAILED),
// or narrows the request to the resources the principal may touch, lets the handler serve
// those, and answers the rest with TOPIC_/GROUP_AUTHORIZATION_FAILED. A topic the principal may
// not DESCRIBE is answered TOPIC_AUTHORIZATION_FAILED whether or not it exists (and is left out
// of all-topics listings), so existence does not leak. APIs absent from the table (ApiVersions,
// DescribeCluster, SASL) need no permission; authorized-operation bit sets are filled in here.
//
// Inter-broker requests (follower Fetch and OffsetForLeaderEpoch, WriteTxnMarkers,
// AddPartitionsToTxn v4+) need CLUSTER_ACTION on the cluster, as in Kafka. The brokers' own
// connections pass it: a super user principal, or (on plaintext, where every client is
// User:ANONYMOUS) a request whose client id is `minikafka-replica-<id>` of a registered broker,
// the id every broker-to-broker client of minikafka uses. Controller traffic goes to the
// controller's own listener, which has no authorizer.
import { ErrorCode } from '../../protocol/errors.js';
import type * as M from '../../protocol/messages/index.js';
import { AclOperation as Op, CLUSTER_NAME, ResourceType as RT } from '../../security/Acl.js';
import { NO_RESPONSE, type Api, type RequestContext } from './Api.js';

const OMITTED = -2147483648;
/** ConfigResource.Type.GROUP. */
const GROUP_CONFIG = 32;

/** What a rule knows of the request's principal. */
export interface Principal {
  principal: string;
  host: string;
  allow(op: number, type: number, name: string): boolean;
  /** KIP-679: `op` on some resource of the type. */
  allowAny(op: number, type: number): boolean;
  /** CLUSTER_ACTION on the cluster, or one of the cluster's brokers (see above). */
  isClusterAction(): boolean;
  operations(type: number, name: string): number;
}

type Out<Res> = Res | typeof NO_RESPONSE | Promise<Res | typeof NO_RESPONSE>;
type Rule<Req = any, Res = any> = (p: Principal, req: Req, next: (req: Req) => Out<Res>, fail: (req: Req, code: number) => Res, ctx: RequestContext) => Out<Res>;

/** The principal and host of a request's connection. */
export function principalOf(ctx: RequestContext): Principal {
  const broker = ctx.broker;
  const auth = broker.authorizer;
  const principal = ctx.conn.principal;
  const host = (ctx.conn.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const replica = /^minikafka-replica-(\d+)$/.exec(ctx.clientId ?? '');
  return {
    principal,
    host,
    allow: (op, type, name) => auth.authorize(principal, host, op, type, name),
    allowAny: (op, type) => auth.authorizeByResourceType(principal, host, op, type),
    isClusterAction: () => auth.authorize(principal, host, Op.CLUSTER_ACTION, RT.CLUSTER, CLUSTER_NAME) || (replica !== null && broker.image.brokers.has(Number(replica[1]))),
    operations: (type, name) => auth.authorizedOperations(principal, host, type, name),
  };
}

/** Kafka's cluster authorized operations: 0 without DESCRIBE on the cluster. */
function clusterOperations(p: Principal): number {
  return p.allow(Op.DESCRIBE, RT.CLUSTER, CLUSTER_NAME) ? p.operations(RT.CLUSTER, CLUSTER_NAME) : 0;
}

/** Apply `f` to a response, or pass NO_RESPONSE through. */
function then<Res>(out: Out<Res>, f: (res: Res) => Res): Out<Res> {
  const map = (r: Res | typeof NO_RESPONSE) => (r === NO_RESPONSE ? r : f(r));
  return out instanceof Promise ? out.then(map) : map(out);
}

/** Serve the allowed part of a request (none: an empty answer), then add the denied entries. */
function partly<Req, Res>(
  allowedReq: Req,
  anyAllowed: boolean,
  next: (req: Req) => Out<Res>,
  fail: (req: Req, code: number) => Res,
  add: (res: Res) => Res,
): Out<Res> {
  return then(anyAllowed ? next(allowedReq) : fail(allowedReq, ErrorCode.NONE), add);
}

const cluster = (op: number): Rule => (p, req, next, fail) => (p.allow(op, RT.CLUSTER, CLUSTER_NAME) ? next(req) : fail(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
const clusterAction: Rule = (p, req, next, fail) => (p.isClusterAction() ? next(req) : fail(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
const group = (op: number, idOf: (req: any) => string): Rule => (p, req, next, fail) =>
  p.allow(op, RT.GROUP, idOf(req)) ? next(req) : fail(req, ErrorCode.GROUP_AUTHORIZATION_FAILED);
const txnId = (op: number, idOf: (req: any) => string): Rule => (p, req, next, fail) =>
  p.allow(op, RT.TRANSACTIONAL_ID, idOf(req)) ? next(req) : fail(req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
/** Rules in order: the first refusal answers. */
const all = (...rules: Rule[]): Rule => (p, req, next, fail, ctx) => rules.reduceRight<(r: any) => Out<any>>((inner, rule) => (r) => rule(p, r, inner, fail, ctx), next)(req);

/** A topic's name, from its id where the version names topics by id; null for an id no topic has. */
function topicNameOf(ctx: RequestContext, name: string | null | undefined, topicId: Buffer | undefined): string | null {
  if (name) return name;
  if (!topicId || topicId.every((b) => b === 0)) return name ?? '';
  return ctx.broker.image.topicById(topicId.toString('hex'))?.name ?? null;
}

/**
 * A request whose `list` holds topics named by `name`: the topics the principal may `op` are
 * served, the others answered by `denied(item)` appended to the response's `resList`.
 */
function topics<Req, Res>(op: number, list: keyof Req, name: (t: any) => string, resList: keyof Res, denied: (t: any) => unknown): Rule<Req, Res> {
  return (p, req, next, fail, ctx) => {
    const items = req[list] as unknown as any[];
    // Named by topic id (Produce v13, OffsetCommit/OffsetFetch v10, ...): an unknown id is the handler's UNKNOWN_TOPIC_ID.
    const ok = items.filter((t) => {
      const n = topicNameOf(ctx, name(t), t.topicId);
      return n === null || p.allow(op, RT.TOPIC, n);
    });
    if (ok.length === items.length) return next(req);
    const no = items.filter((t) => !ok.includes(t));
    return partly({ ...req, [list]: ok }, ok.length > 0, next, fail, (res) => ({ ...res, [resList]: [...(res[resList] as unknown as any[]), ...no.map(denied)] }));
  };
}

const TOPIC_DENIED = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
const partitionsDenied = (parts: number[], entry: (i: number) => object) => parts.map(entry);

// acks=0: whatever was denied, no answer (Kafka never answers acks=0).
const produce: Rule<M.ProduceRequest, M.ProduceResponse> = (p, req, next, fail, ctx) => {
  const out = produceAcked(p, req, next, fail, ctx);
  if (req.acks !== 0) return out;
  return out instanceof Promise ? out.then(() => NO_RESPONSE) : NO_RESPONSE;
};

const produceAcked: Rule<M.ProduceRequest, M.ProduceResponse> = (p, req, next, fail, ctx) => {
  if (req.transactionalId !== null && !p.allow(Op.WRITE, RT.TRANSACTIONAL_ID, req.transactionalId)) return fail(req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  return topics<M.ProduceRequest, M.ProduceResponse>(Op.WRITE, 'topicData', (t) => t.name, 'responses', (t: M.ProduceRequestTopicProduceData) => ({
    name: t.name,
    topicId: t.topicId,
    partitionResponses: partitionsDenied(t.partitionData.map((d) => d.index), (index) => ({ index, errorCode: TOPIC_DENIED, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage: null, currentLeader: { leaderId: -1, leaderEpoch: -1 } })),
  }))(p, req, next, fail, ctx);
};

const fetch: Rule<M.FetchRequest, M.FetchResponse> = (p, req, next, fail, ctx) => {
  const follower = req.replicaId >= 0 || req.replicaState.replicaId >= 0;
  const nameOf = (t: M.FetchRequestFetchTopic) => (ctx.apiVersion >= 13 ? (ctx.broker.image.topicById(t.topicId.toString('hex'))?.name ?? null) : t.topic);
  // Unknown topic ids go to the handler (UNKNOWN_TOPIC_ID); a follower without CLUSTER_ACTION is denied every topic.
  const allowed = (t: M.FetchRequestFetchTopic) => {
    const name = nameOf(t);
    return name === null || (follower ? p.isClusterAction() : p.allow(Op.READ, RT.TOPIC, name));
  };
  const ok = req.topics.filter(allowed);
  if (ok.length === req.topics.length) return next(req);
  const no = req.topics.filter((t) => !ok.includes(t));
  const denied = no.map((t) => ({
    topic: t.topic,
    topicId: t.topicId,
    partitions: t.partitions.map((q) => ({
      partitionIndex: q.partition,
      errorCode: TOPIC_DENIED,
      highWatermark: -1,
      lastStableOffset: -1,
      logStartOffset: -1,
      divergingEpoch: { epoch: -1, endOffset: -1 },
      currentLeader: { leaderId: -1, leaderEpoch: -1 },
      snapshotId: { endOffset: -1, epoch: -1 },
      abortedTransactions: null,
      preferredReadReplica: -1,
      records: Buffer.alloc(0),
    })),
  }));
  return partly({ ...req, topics: ok }, ok.length > 0, next, (r) => ({ ...fail(r, ErrorCode.NONE), responses: [] }), (res) => ({ ...res, responses: [...res.responses, ...denied] }));
};

// All topics: the ones the principal may DESCRIBE. Named ones it may not: TOPIC_AUTHORIZATION_FAILED
// (asked for by id: with the id and a null name, as Kafka; ids are not secret). A missing topic
// that would be auto-created needs CREATE on the cluster or the topic, else the same error.
const metadata: Rule<M.MetadataRequest, M.MetadataResponse> = (p, req, next, _fail, ctx) => {
  const broker = ctx.broker;
  const all = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
  const autoCreate = broker.config.bool('auto.create.topics.enable') && (ctx.apiVersion < 4 || req.allowAutoTopicCreation);
  const denied: M.MetadataResponse['topics'] = [];
  const deny = (name: string | null, topicId: Buffer) =>
    denied.push({ errorCode: TOPIC_DENIED, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: OMITTED });
  let kept = req.topics ?? [];
  if (!all) {
    kept = kept.filter((t) => {
      const name = t.name ?? broker.image.topicById(t.topicId.toString('hex'))?.name;
      if (name === undefined) return true; // an unknown id: the handler's UNKNOWN_TOPIC_ID
      if (!p.allow(Op.DESCRIBE, RT.TOPIC, name)) {
        deny(t.name, t.name === null ? t.topicId : Buffer.alloc(16));
        return false;
      }
      if (t.name !== null && autoCreate && !broker.metadata.get(name) && !p.allow(Op.CREATE, RT.CLUSTER, CLUSTER_NAME) && !p.allow(Op.CREATE, RT.TOPIC, name)) {
        deny(name, Buffer.alloc(16));
        return false;
      }
      return true;
    });
  }
  const nothingLeft = !all && kept.length === 0;
  return then(next(all ? req : { ...req, topics: kept }), (res) => {
    // (v0 reads an empty list as all topics: what was asked for and denied is all there is.)
    const served = nothingLeft ? [] : all ? res.topics.filter((t) => t.name === null || p.allow(Op.DESCRIBE, RT.TOPIC, t.name)) : res.topics;
    const topics = served.map((t) => ({
      ...t,
      topicAuthorizedOperations: req.includeTopicAuthorizedOperations && t.errorCode === ErrorCode.NONE && t.name !== null ? p.operations(RT.TOPIC, t.name) : t.topicAuthorizedOperations,
    }));
    return {
      ...res,
      topics: [...topics, ...denied],
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? clusterOperations(p) : res.clusterAuthorizedOperations,
    };
  });
};

// v0-7: one group (DESCRIBE, else the whole request fails); v8+: each group answered alone. Topics
// the principal may not DESCRIBE: TOPIC_AUTHORIZATION_FAILED when named, left out of "all topics".
const offsetFetch: Rule<M.OffsetFetchRequest, M.OffsetFetchResponse> = (p, req, next, fail, ctx) => {
  const visible = (t: { name: string; topicId?: Buffer }) => {
    const n = topicNameOf(ctx, t.name, t.topicId);
    return n === null || p.allow(Op.DESCRIBE, RT.TOPIC, n);
  };
  const filterTopics = <T extends { name: string; topicId?: Buffer; partitions: { errorCode: number }[] }>(topics: T[], named: boolean): T[] =>
    named ? topics.map((t) => (visible(t) ? t : { ...t, partitions: t.partitions.map((q) => ({ ...q, committedOffset: -1, metadata: null, errorCode: TOPIC_DENIED })) })) : topics.filter((t) => visible(t));
  if (ctx.apiVersion < 8) {
    if (!p.allow(Op.DESCRIBE, RT.GROUP, req.groupId)) return fail(req, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    return then(next(req), (res) => ({ ...res, topics: filterTopics(res.topics, req.topics !== null) }));
  }
  const ok = req.groups.filter((g) => p.allow(Op.DESCRIBE, RT.GROUP, g.groupId));
  const no = req.groups.filter((g) => !ok.includes(g));
  return partly({ ...req, groups: ok }, ok.length > 0, next, fail, (res) => ({
    ...res,
    groups: [
      ...res.groups.map((g) => ({ ...g, topics: filterTopics(g.topics, req.groups.find((q) => q.groupId === g.groupId)?.topics != null) })),
      ...no.map((g) => ({ groupId: g.groupId, topics: [], errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })),
    ],
  }));
};

const describeCluster: Rule<M.DescribeClusterRequest, M.DescribeClusterResponse> = (p, req, next) =>
  then(next(req), (res) => ({ ...res, clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? clusterOperations(p) : res.clusterAuthorizedOperations }));

const describeGroups: Rule<M.DescribeGroupsRequest, M.DescribeGroupsResponse> = (p, req, next, fail) => {
  const ok = req.groups.filter((g) => p.allow(Op.DESCRIBE, RT.GROUP, g));
  const no = req.groups.filter((g) => !ok.includes(g));
  return partly({ ...req, groups: ok }, ok.length > 0, next, fail, (res) => ({
    ...res,
    groups: [
      ...res.groups.map((g) => ({ ...g, authorizedOperations: req.includeAuthorizedOperations ? p.operations(RT.GROUP, g.groupId) : g.authorizedOperations })),
      ...no.map((groupId) => ({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OMITTED })),
    ],
  }));
};

const listGroups: Rule<M.ListGroupsRequest, M.ListGroupsResponse> = (p, req, next) =>
  p.allow(Op.DESCRIBE, RT.CLUSTER, CLUSTER_NAME) ? next(req) : then(next(req), (res) => ({ ...res, groups: res.groups.filter((g) => p.allow(Op.DESCRIBE, RT.GROUP, g.groupId)) }));

const findCoordinator: Rule<M.FindCoordinatorRequest, M.FindCoordinatorResponse> = (p, req, next, fail, ctx) => {
  const keys = ctx.apiVersion >= 4 ? req.coordinatorKeys : [req.key];
  const txn = req.keyType === 1;
  const ok = (k: string) => p.allow(Op.DESCRIBE, txn ? RT.TRANSACTIONAL_ID : RT.GROUP, k);
  const code = txn ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : ErrorCode.GROUP_AUTHORIZATION_FAILED;
  if (keys.every(ok)) return next(req);
  if (ctx.apiVersion < 4) return fail(req, code);
  const allowed = keys.filter(ok);
  return partly({ ...req, coordinatorKeys: allowed }, allowed.length > 0, next, fail, (res) => ({
    ...res,
    coordinators: [...res.coordinators, ...keys.filter((k) => !ok(k)).map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode: code, errorMessage: null }))],
  }));
};

const initProducerId: Rule<M.InitProducerIdRequest, M.InitProducerIdResponse> = (p, req, next, fail) => {
  if (req.transactionalId !== null) {
    return p.allow(Op.WRITE, RT.TRANSACTIONAL_ID, req.transactionalId) ? next(req) : fail(req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  }
  return p.allow(Op.IDEMPOTENT_WRITE, RT.CLUSTER, CLUSTER_NAME) || p.allowAny(Op.WRITE, RT.TOPIC) ? next(req) : fail(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
};

const addPartitionsToTxn: Rule<M.AddPartitionsToTxnRequest, M.AddPartitionsToTxnResponse> = (p, req, next, fail, ctx) => {
  if (ctx.apiVersion >= 4) return clusterAction(p, req, next, fail, ctx);
  if (!p.allow(Op.WRITE, RT.TRANSACTIONAL_ID, req.v3AndBelowTransactionalId)) return fail(req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  const denied = new Set(req.v3AndBelowTopics.filter((t) => !p.allow(Op.WRITE, RT.TOPIC, t.name)).map((t) => t.name));
  if (denied.size === 0) return next(req);
  // As Kafka: the denied topics' partitions fail, every other one is OPERATION_NOT_ATTEMPTED.
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    resultsByTransaction: [],
    resultsByTopicV3AndBelow: req.v3AndBelowTopics.map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: denied.has(t.name) ? TOPIC_DENIED : ErrorCode.OPERATION_NOT_ATTEMPTED })),
    })),
  };
};

const configs = (op: number, list: 'resources', resList: string): Rule => (p, req, next, fail) => {
  // Config resources: TOPIC (2) on the topic, GROUP (32) on the group, the rest (BROKER,
  // BROKER_LOGGER, CLIENT_METRICS) on the cluster.
  const allowed = (r: { resourceType: number; resourceName: string }) =>
    r.resourceType === RT.TOPIC ? p.allow(op, RT.TOPIC, r.resourceName) : r.resourceType === GROUP_CONFIG ? p.allow(op, RT.GROUP, r.resourceName) : p.allow(op, RT.CLUSTER, CLUSTER_NAME);
  const ok = req[list].filter(allowed);
  if (ok.length === req[list].length) return next(req);
  const no = req[list].filter((r: any) => !ok.includes(r));
  return partly({ ...req, [list]: ok }, ok.length > 0, next, fail, (res: any) => ({
    ...res,
    [resList]: [
      ...res[resList],
      ...no.map((r: any) => ({
        errorCode: r.resourceType === RT.TOPIC ? TOPIC_DENIED : r.resourceType === GROUP_CONFIG ? ErrorCode.GROUP_AUTHORIZATION_FAILED : ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        errorMessage: null,
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        ...(resList === 'results' ? { configs: [] } : {}),
      })),
    ],
  }));
};

const topicPartitions = (op: number, list: string, partsOf: (t: any) => number[], partEntry: (i: number) => object, resList = list, partsKey = 'partitions'): Rule =>
  topics<any, any>(op, list, (t) => t.name, resList, (t) => ({ name: t.name, ...(t.topicId ? { topicId: t.topicId } : {}), [partsKey]: partsOf(t).map(partEntry) }));

// DescribeTopicPartitions: as Metadata's listing, by name only: DESCRIBE per topic, the denied
// named ones TOPIC_AUTHORIZATION_FAILED, "all topics" (an empty list) without the denied.
const describeTopicPartitions: Rule = (p, req, next, fail) => {
  const visible = (name: string) => p.allow(Op.DESCRIBE, RT.TOPIC, name);
  const named: { name: string }[] = req.topics;
  const operations = (t: any) => ({ ...t, topicAuthorizedOperations: req.includeTopicAuthorizedOperations !== false && t.errorCode === ErrorCode.NONE ? p.operations(RT.TOPIC, t.name) : t.topicAuthorizedOperations });
  if (named.length === 0) return then(next(req), (res: any) => ({ ...res, topics: res.topics.filter((t: any) => visible(t.name)).map(operations) }));
  const ok = named.filter((t) => visible(t.name));
  const no = named.filter((t) => !ok.includes(t));
  return partly({ ...req, topics: ok }, ok.length > 0, next, fail, (res: any) => ({
    ...res,
    topics: [
      ...(ok.length > 0 ? res.topics : []).map(operations),
      ...no.map((t) => ({ errorCode: TOPIC_DENIED, name: t.name, topicId: Buffer.alloc(16), isInternal: false, partitions: [], topicAuthorizedOperations: OMITTED })),
    ],
  }));
};

// CREATE on the cluster, else on each topic. A created topic's configs and sizes (v5+) need
// DESCRIBE_CONFIGS on it: without, topic_config_error_code is TOPIC_AUTHORIZATION_FAILED (KRaft).
const createTopics: Rule<M.CreateTopicsRequest, M.CreateTopicsResponse> = (p, req, next, fail, ctx) => {
  const hide = (res: M.CreateTopicsResponse): M.CreateTopicsResponse => ({
    ...res,
    topics: res.topics.map((t) =>
      t.errorCode === ErrorCode.NONE && !p.allow(Op.DESCRIBE_CONFIGS, RT.TOPIC, t.name)
        ? { ...t, topicConfigErrorCode: TOPIC_DENIED, configs: [], numPartitions: -1, replicationFactor: -1 }
        : t,
    ),
  });
  const served = p.allow(Op.CREATE, RT.CLUSTER, CLUSTER_NAME)
    ? next(req)
    : topics<M.CreateTopicsRequest, M.CreateTopicsResponse>(Op.CREATE, 'topics', (t) => t.name, 'topics', (t) => ({ name: t.name, topicId: Buffer.alloc(16), errorCode: TOPIC_DENIED, errorMessage: null, topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: null }))(p, req, next, fail, ctx);
  return then(served, hide);
};

const follower = (rule: Rule): Rule => (p, req, next, fail, ctx) => (req.replicaId >= 0 ? clusterAction(p, req, next, fail, ctx) : rule(p, req, next, fail, ctx));

/** The rules, by API key. */
export const AUTHORIZATION: Readonly<Record<number, Rule>> = {
  0: produce,
  1: fetch,
  2: topicPartitions(Op.DESCRIBE, 'topics', (t) => t.partitions.map((q: any) => q.partitionIndex), (partitionIndex) => ({ partitionIndex, errorCode: TOPIC_DENIED, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 })),
  3: metadata,
  8: all(group(Op.READ, (r) => r.groupId), topicPartitions(Op.READ, 'topics', (t) => t.partitions.map((q: any) => q.partitionIndex), (partitionIndex) => ({ partitionIndex, errorCode: TOPIC_DENIED }))),
  9: offsetFetch,
  10: findCoordinator,
  11: group(Op.READ, (r) => r.groupId),
  12: group(Op.READ, (r) => r.groupId),
  13: group(Op.READ, (r) => r.groupId),
  14: group(Op.READ, (r) => r.groupId),
  15: describeGroups,
  16: listGroups,
  19: createTopics,
  20: (p, req, next, fail, ctx) => {
    const list = ctx.apiVersion >= 6 ? 'topics' : 'topicNames';
    const name = (t: any) => (typeof t === 'string' ? t : (t.name ?? ctx.broker.image.topicById(t.topicId.toString('hex'))?.name ?? ''));
    return topics<any, any>(Op.DELETE, list, name, 'responses', (t) => ({ name: name(t), topicId: typeof t === 'string' ? Buffer.alloc(16) : t.topicId, errorCode: TOPIC_DENIED, errorMessage: null }))(p, req, next, fail, ctx);
  },
  21: topicPartitions(Op.DELETE, 'topics', (t) => t.partitions.map((q: any) => q.partitionIndex), (partitionIndex) => ({ partitionIndex, lowWatermark: -1, errorCode: TOPIC_DENIED })),
  22: initProducerId,
  23: follower(
    topics<any, any>(Op.DESCRIBE, 'topics', (t) => t.topic, 'topics', (t) => ({
      topic: t.topic,
      partitions: t.partitions.map((q: any) => ({ errorCode: TOPIC_DENIED, partition: q.partition, leaderEpoch: -1, endOffset: -1 })),
    })),
  ),
  24: addPartitionsToTxn,
  25: all(txnId(Op.WRITE, (r) => r.transactionalId), group(Op.READ, (r) => r.groupId)),
  26: txnId(Op.WRITE, (r) => r.transactionalId),
  27: (p, req, next, fail, ctx) => (p.allow(Op.ALTER, RT.CLUSTER, CLUSTER_NAME) ? next(req) : clusterAction(p, req, next, fail, ctx)),
  28: all(
    txnId(Op.WRITE, (r) => r.transactionalId),
    group(Op.READ, (r) => r.groupId),
    topicPartitions(Op.READ, 'topics', (t) => t.partitions.map((q: any) => q.partitionIndex), (partitionIndex) => ({ partitionIndex, errorCode: TOPIC_DENIED })),
  ),
  29: cluster(Op.DESCRIBE),
  30: cluster(Op.ALTER),
  31: cluster(Op.ALTER),
  32: configs(Op.DESCRIBE_CONFIGS, 'resources', 'results'),
  33: configs(Op.ALTER_CONFIGS, 'resources', 'responses'),
  37: topics<any, any>(Op.ALTER, 'topics', (t) => t.name, 'results', (t) => ({ name: t.name, errorCode: TOPIC_DENIED, errorMessage: null })),
  42: (p, req, next, fail) => {
    const ok = req.groupsNames.filter((g: string) => p.allow(Op.DELETE, RT.GROUP, g));
    const no = req.groupsNames.filter((g: string) => !ok.includes(g));
    return partly({ ...req, groupsNames: ok }, ok.length > 0, next, fail, (res: any) => ({ ...res, results: [...res.results, ...no.map((groupId: string) => ({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }))] }));
  },
  44: configs(Op.ALTER_CONFIGS, 'resources', 'responses'),
  47: all(group(Op.DELETE, (r) => r.groupId), topicPartitions(Op.READ, 'topics', (t) => t.partitions.map((q: any) => q.partitionIndex), (partitionIndex) => ({ partitionIndex, errorCode: TOPIC_DENIED }))),
  60: describeCluster,
  61: topicPartitions(Op.READ, 'topics', (t) => t.partitionIndexes, (partitionIndex) => ({ partitionIndex, errorCode: TOPIC_DENIED, errorMessage: null, activeProducers: [] })),
  65: (p, req, next, fail) => {
    const ok = req.transactionalIds.filter((id: string) => p.allow(Op.DESCRIBE, RT.TRANSACTIONAL_ID, id));
    const no = req.transactionalIds.filter((id: string) => !ok.includes(id));
    return partly({ ...req, transactionalIds: ok }, ok.length > 0, next, fail, (res: any) => ({
      ...res,
      transactionStates: [
        ...res.transactionStates,
        ...no.map((transactionalId: string) => ({ errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] })),
      ],
    }));
  },
  66: (p, req, next) => then(next(req), (res: any) => ({ ...res, transactionStates: res.transactionStates.filter((t: any) => p.allow(Op.DESCRIBE, RT.TRANSACTIONAL_ID, t.transactionalId)) })),
  // APIs served on other branches (compat-reassign, sec-transport, compat-configs): the rule
  // applies once the API is in API_LIST, answering through its errorResponse.
  34: cluster(Op.ALTER), // AlterReplicaLogDirs
  35: cluster(Op.DESCRIBE), // DescribeLogDirs
  43: cluster(Op.ALTER), // ElectLeaders
  45: cluster(Op.ALTER), // AlterPartitionReassignments
  46: cluster(Op.DESCRIBE), // ListPartitionReassignments
  48: cluster(Op.DESCRIBE_CONFIGS), // DescribeClientQuotas
  49: cluster(Op.ALTER_CONFIGS), // AlterClientQuotas
  50: cluster(Op.DESCRIBE), // DescribeUserScramCredentials
  51: cluster(Op.ALTER), // AlterUserScramCredentials
  55: cluster(Op.DESCRIBE), // DescribeQuorum
  57: cluster(Op.ALTER), // UpdateFeatures
  64: cluster(Op.ALTER), // UnregisterBroker
  74: cluster(Op.DESCRIBE_CONFIGS), // ListClientMetricsResources
  75: describeTopicPartitions,
};

/** An API whose handler runs behind its authorization rule while the authorizer is on. */
export function withAuthorization<Req, Res>(api: Api<Req, Res, RequestContext>): Api<Req, Res, RequestContext> {
  const rule = AUTHORIZATION[api.key];
  if (!rule) return api;
  const inner = api.handle;
  const fail = (req: Req, code: number, version: number): Res => {
    if (!api.errorResponse) throw new Error(`${api.name} has no error response`);
    return api.errorResponse(req, code, version, null);
  };
  return {
    ...api,
    handle: (ctx, req) => {
      if (!ctx.broker.authorizer.enabled) return inner(ctx, req);
      return rule(principalOf(ctx), req, (r) => inner(ctx, r), (r, code) => fail(r, code, ctx.apiVersion), ctx);
    },
  };
}

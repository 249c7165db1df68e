// Shared by the ACL tests over TCP (test/acls*.test.ts): ACL entries for User:ANONYMOUS (every
// plaintext client), committing ACL changes through the fixture's controller, and reading the
// Kafka error a kafkajs failure carries.
import { createRequire } from 'node:module';
import type { Cluster } from '../../src/index.js';
import type * as M from '../../src/protocol/messages/index.js';
import { AclOperation as Op, AclPermissionType as Perm, PatternType as PT, ResourceType as RT, type AclEntry } from '../../src/security/Acl.js';

export const ANON = 'User:ANONYMOUS';
export const AUTHORIZER = { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer' };

export function entry(resourceType: number, resourceName: string, operation: number, permissionType: number, patternType: number = PT.LITERAL): AclEntry {
  return { resourceType, resourceName, patternType, principal: ANON, host: '*', operation, permissionType };
}

/** Commit ACLs through the controller (the fixture's side door) and wait until every broker has them. */
export async function seed(cluster: Cluster, change: () => void): Promise<void> {
  change();
  const deadline = Date.now() + 10_000;
  while (cluster.brokers.some((b) => b.image.offset < cluster.controller.logEndOffset)) {
    if (Date.now() > deadline) throw new Error('brokers did not catch up with the ACL change');
    await new Promise((r) => setTimeout(r, 10));
  }
}

// kafkajs's own table of Kafka errors: its retry wrappers keep only the message.
export const KAFKAJS_ERRORS = (createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as { errorCodes: { type: string; message: string }[] }).errorCodes;

/** The Kafka error type a kafkajs failure carries (through its retry and wrapper errors). */
export function errorType(err: unknown): string | undefined {
  let e = err as { type?: string; message?: string; cause?: unknown; originalError?: unknown; errors?: unknown[] } | undefined;
  for (let i = 0; e && i < 5; i++) {
    if (e.type && e.type !== 'UNKNOWN') return e.type;
    const known = KAFKAJS_ERRORS.find((k) => k.message === e!.message);
    if (known) return known.type;
    e = (e.cause ?? e.originalError ?? e.errors?.[0]) as typeof e;
  }
  return undefined;
}

export async function failure(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return errorType(err) ?? String(err);
  }
  return 'succeeded';
}

export function metadataRequest(names: string[], authorizedOperations = false): M.MetadataRequest {
  return {
    topics: names.map((name) => ({ topicId: Buffer.alloc(16), name })),
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: authorizedOperations,
    includeTopicAuthorizedOperations: authorizedOperations,
  };
}

/** Every ACL removed, through the controller; resolves once the brokers have caught up. */
export function clearAcls(cluster: Cluster): Promise<void> {
  return seed(cluster, () => cluster.controller.deleteAcls([{ resourceType: RT.ANY, resourceName: null, patternType: PT.ANY, principal: null, host: null, operation: Op.ANY, permissionType: Perm.ANY }]));
}

/**
 * Deny one operation on a resource beside an ALLOW ALL on it. Kafka: once a resource has ACLs,
 * what none of them allows is denied (allow.everyone.if.no.acl.found only covers resources
 * without any), so the DENY wins for that operation alone.
 */
export function denyOnly(cluster: Cluster, resourceType: number, name: string, op: number): Promise<void> {
  return seed(cluster, () => cluster.controller.createAcls([entry(resourceType, name, op, Perm.DENY), entry(resourceType, name, Op.ALL, Perm.ALLOW)]));
}

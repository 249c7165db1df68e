// ACLs as Kafka has them: a resource pattern (type, name, LITERAL or PREFIXED) and an entry
// (principal, host, operation, ALLOW or DENY), with Kafka's wire codes for each enum, the
// validation KRaft's AclControlManager applies to a new ACL, and the filters of DescribeAcls
// and DeleteAcls (ANY and MATCH), as ResourcePatternFilter and AccessControlEntryFilter match.

/** org.apache.kafka.common.resource.ResourceType codes. */
export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
/** org.apache.kafka.common.resource.PatternType codes. */
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
/** org.apache.kafka.common.acl.AclOperation codes. */
export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
/** org.apache.kafka.common.acl.AclPermissionType codes. */
export const AclPermissionType = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** The name of the one cluster resource. */
export const CLUSTER_NAME = 'kafka-cluster';
/** A literal resource name or an ACL principal/host matching every one. */
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

/** One ACL binding (Kafka's StandardAcl): what the metadata log stores. */
export interface AclEntry {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** A DescribeAcls/DeleteAcls filter (Kafka's AclBindingFilter): null strings and ANY match everything. */
export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}

function known(table: Record<string, number>, code: number): boolean {
  return Object.values(table).includes(code);
}

/**
 * Why a new ACL is refused (KRaft's AclControlManager.validateNewAcl, INVALID_REQUEST), or null.
 * A principal without a `Type:` prefix is INVALID_REQUEST here too (Kafka fails its parse with
 * UNKNOWN_SERVER_ERROR).
 */
export function invalidAcl(acl: AclEntry): string | null {
  if (!known(ResourceType, acl.resourceType) || acl.resourceType === ResourceType.ANY || acl.resourceType === ResourceType.UNKNOWN) {
    return `Invalid resourceType ${acl.resourceType}`;
  }
  if (acl.patternType !== PatternType.LITERAL && acl.patternType !== PatternType.PREFIXED) return `Invalid patternType ${acl.patternType}`;
  if (!known(AclOperation, acl.operation) || acl.operation === AclOperation.ANY || acl.operation === AclOperation.UNKNOWN) {
    return `Invalid operation ${acl.operation}`;
  }
  if (acl.permissionType !== AclPermissionType.ALLOW && acl.permissionType !== AclPermissionType.DENY) {
    return `Invalid permissionType ${acl.permissionType}`;
  }
  if (!acl.resourceName) return 'Resource name should not be empty';
  if (!acl.principal || acl.principal.indexOf(':') <= 0) return `Could not parse principal from \`${acl.principal}\` (no colon is present separating the principal type from the principal name)`;
  return null;
}

/** Why a filter can match nothing sensible (an UNKNOWN field: INVALID_REQUEST), or null. */
export function invalidFilter(f: AclFilter): string | null {
  if (!known(ResourceType, f.resourceType) || f.resourceType === ResourceType.UNKNOWN) return `Invalid resourceType filter ${f.resourceType}`;
  if (!known(PatternType, f.patternType) || f.patternType === PatternType.UNKNOWN) return `Invalid patternType filter ${f.patternType}`;
  if (!known(AclOperation, f.operation) || f.operation === AclOperation.UNKNOWN) return `Invalid operation filter ${f.operation}`;
  if (!known(AclPermissionType, f.permissionType) || f.permissionType === AclPermissionType.UNKNOWN) {
    return `Invalid permissionType filter ${f.permissionType}`;
  }
  return null;
}

/** ResourcePatternFilter.matches: ANY matches any pattern type by exact name; MATCH also by wildcard and prefix. */
function patternMatches(f: AclFilter, acl: AclEntry): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== acl.resourceType) return false;
  if (f.patternType !== PatternType.ANY && f.patternType !== PatternType.MATCH && f.patternType !== acl.patternType) return false;
  if (f.resourceName === null) return true;
  if (f.patternType !== PatternType.MATCH) return f.resourceName === acl.resourceName;
  if (acl.patternType === PatternType.LITERAL) return f.resourceName === acl.resourceName || acl.resourceName === WILDCARD;
  return f.resourceName.startsWith(acl.resourceName);
}

/** AclBindingFilter.matches. */
export function filterMatches(f: AclFilter, acl: AclEntry): boolean {
  return (
    patternMatches(f, acl) &&
    (f.principal === null || f.principal === acl.principal) &&
    (f.host === null || f.host === acl.host) &&
    (f.operation === AclOperation.ANY || f.operation === acl.operation) &&
    (f.permissionType === AclPermissionType.ANY || f.permissionType === acl.permissionType)
  );
}

/** The same binding (a CreateAcls of an existing ACL adds nothing). */
export function sameAcl(a: AclEntry, b: AclEntry): boolean {
  return (
    a.resourceType === b.resourceType &&
    a.resourceName === b.resourceName &&
    a.patternType === b.patternType &&
    a.principal === b.principal &&
    a.host === b.host &&
    a.operation === b.operation &&
    a.permissionType === b.permissionType
  );
}

/**
 * An ACL by Kafka's names, as the test fixture takes it (`cluster.createAcls`): the pattern
 * type defaults to LITERAL, the host to `*`, a CLUSTER resource's name to `kafka-cluster`.
 */
export interface AclBinding {
  resourceType: 'TOPIC' | 'GROUP' | 'CLUSTER' | 'TRANSACTIONAL_ID' | 'DELEGATION_TOKEN' | 'USER';
  resourceName?: string;
  patternType?: 'LITERAL' | 'PREFIXED';
  principal: string;
  host?: string;
  operation: Exclude<keyof typeof AclOperation, 'UNKNOWN' | 'ANY'>;
  permissionType: 'ALLOW' | 'DENY';
}

export function aclEntryOf(b: AclBinding): AclEntry {
  return {
    resourceType: ResourceType[b.resourceType],
    resourceName: b.resourceName ?? (b.resourceType === 'CLUSTER' ? CLUSTER_NAME : ''),
    patternType: PatternType[b.patternType ?? 'LITERAL'],
    principal: b.principal,
    host: b.host ?? WILDCARD,
    operation: AclOperation[b.operation],
    permissionType: AclPermissionType[b.permissionType],
  };
}

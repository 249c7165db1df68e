// Kafka's StandardAuthorizer semantics (security/Authorizer.ts) and ACL filters (security/Acl.ts),
// over plain ACL lists: deny wins, implied operations (ALLOW only), literal/wildcard/prefixed
// patterns, principal and host wildcards, super.users, allow.everyone.if.no.acl.found, and the
// DescribeAcls/DeleteAcls filter rules (ANY, MATCH, null fields); the controller's ACL changes.
import { describe, expect, it } from 'vitest';
import { AclOperation as Op, AclPermissionType as Perm, filterMatches, invalidAcl, invalidFilter, PatternType as PT, ResourceType as RT, type AclEntry, type AclFilter } from '../src/security/Acl.js';
import { Authorizer, parseSuperUsers } from '../src/security/Authorizer.js';
import { createAclRecords, deleteAclRecords } from '../src/replication/AclControlManager.js';
import { MetadataImage, type MetadataRecord } from '../src/replication/MetadataImage.js';
import { ErrorCode } from '../src/protocol/errors.js';

const ANON = 'User:ANONYMOUS';
const HOST = '127.0.0.1';

function acl(over: Partial<AclEntry>): AclEntry {
  return { resourceType: RT.TOPIC, resourceName: 't', patternType: PT.LITERAL, principal: ANON, host: '*', operation: Op.READ, permissionType: Perm.ALLOW, ...over };
}

function authorizer(acls: AclEntry[], opts: { superUsers?: string; allowEveryone?: boolean; enabled?: boolean } = {}): Authorizer {
  return new Authorizer(
    { enabled: opts.enabled ?? true, superUsers: parseSuperUsers(opts.superUsers ?? ''), allowEveryoneIfNoAclFound: opts.allowEveryone ?? false },
    () => acls,
  );
}

describe('Authorizer', () => {
  it('allows everything when disabled, and super users always', () => {
    expect(authorizer([], { enabled: false }).authorize(ANON, HOST, Op.WRITE, RT.TOPIC, 't')).toBe(true);
    const a = authorizer([acl({ operation: Op.ALL, permissionType: Perm.DENY, principal: 'User:admin' })], { superUsers: 'User:admin; User:ops' });
    expect(a.authorize('User:admin', HOST, Op.WRITE, RT.TOPIC, 't')).toBe(true);
    expect(a.authorize('User:ops', HOST, Op.WRITE, RT.TOPIC, 't')).toBe(true);
    expect(a.authorize(ANON, HOST, Op.WRITE, RT.TOPIC, 't')).toBe(false);
  });

  it('denies without a matching ACL unless allow.everyone.if.no.acl.found and the resource has none', () => {
    expect(authorizer([]).authorize(ANON, HOST, Op.READ, RT.TOPIC, 't')).toBe(false);
    expect(authorizer([], { allowEveryone: true }).authorize(ANON, HOST, Op.READ, RT.TOPIC, 't')).toBe(true);
    // An ACL on the resource for someone else: the resource has ACLs, so the default no longer applies.
    const other = authorizer([acl({ principal: 'User:bob' })], { allowEveryone: true });
    expect(other.authorize(ANON, HOST, Op.READ, RT.TOPIC, 't')).toBe(false);
    expect(other.authorize(ANON, HOST, Op.READ, RT.TOPIC, 'u')).toBe(true);
  });

  it('lets a DENY win over any ALLOW, and ALL match every operation', () => {
    const a = authorizer([acl({ operation: Op.ALL }), acl({ operation: Op.WRITE, permissionType: Perm.DENY })]);
    expect(a.authorize(ANON, HOST, Op.READ, RT.TOPIC, 't')).toBe(true);
    expect(a.authorize(ANON, HOST, Op.WRITE, RT.TOPIC, 't')).toBe(false);
    expect(authorizer([acl({ operation: Op.ALL, permissionType: Perm.DENY, resourceName: '*' }), acl({})]).authorize(ANON, HOST, Op.READ, RT.TOPIC, 't')).toBe(false);
  });

  it('implies DESCRIBE from READ/WRITE/DELETE/ALTER and DESCRIBE_CONFIGS from ALTER_CONFIGS, for ALLOW only', () => {
    for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER]) expect(authorizer([acl({ operation: op })]).authorize(ANON, HOST, Op.DESCRIBE, RT.TOPIC, 't')).toBe(true);
    expect(authorizer([acl({ operation: Op.CREATE })]).authorize(ANON, HOST, Op.DESCRIBE, RT.TOPIC, 't')).toBe(false);
    expect(authorizer([acl({ operation: Op.ALTER_CONFIGS })]).authorize(ANON, HOST, Op.DESCRIBE_CONFIGS, RT.TOPIC, 't')).toBe(true);
    expect(authorizer([acl({ operation: Op.ALTER_CONFIGS })]).authorize(ANON, HOST, Op.ALTER, RT.TOPIC, 't')).toBe(false);
    // A DENY READ does not deny DESCRIBE.
    expect(authorizer([acl({ operation: Op.DESCRIBE }), acl({ operation: Op.READ, permissionType: Perm.DENY })]).authorize(ANON, HOST, Op.DESCRIBE, RT.TOPIC, 't')).toBe(true);
  });

  it('matches literal names, the literal wildcard and prefixes, per resource type', () => {
    const a = authorizer([acl({ resourceName: 'orders-', patternType: PT.PREFIXED }), acl({ resourceType: RT.GROUP, resourceName: '*' })]);
    expect(a.authorize(ANON, HOST, Op.READ, RT.TOPIC, 'orders-eu')).toBe(true);
    expect(a.authorize(ANON, HOST, Op.READ, RT.TOPIC, 'orders')).toBe(false);
    expect(a.authorize(ANON, HOST, Op.READ, RT.GROUP, 'any-group')).toBe(true);
    expect(a.authorize(ANON, HOST, Op.READ, RT.TRANSACTIONAL_ID, 'orders-eu')).toBe(false);
    // A literal "t" does not cover "tt"; a literal "*" name in a PREFIXED pattern is just the character.
    expect(authorizer([acl({})]).authorize(ANON, HOST, Op.READ, RT.TOPIC, 'tt')).toBe(false);
    expect(authorizer([acl({ resourceName: '*', patternType: PT.PREFIXED })]).authorize(ANON, HOST, Op.READ, RT.TOPIC, 't')).toBe(false);
  });

  it('matches the principal or User:*, and the host or *', () => {
    expect(authorizer([acl({ principal: 'User:*' })]).authorize('User:alice', HOST, Op.READ, RT.TOPIC, 't')).toBe(true);
    expect(authorizer([acl({ principal: 'User:bob' })]).authorize('User:alice', HOST, Op.READ, RT.TOPIC, 't')).toBe(false);
    expect(authorizer([acl({ host: '10.0.0.1' })]).authorize(ANON, HOST, Op.READ, RT.TOPIC, 't')).toBe(false);
    expect(authorizer([acl({ host: HOST })]).authorize(ANON, HOST, Op.READ, RT.TOPIC, 't')).toBe(true);
  });

  it('authorizes by resource type (KIP-679) unless a DENY covers the ALLOW', () => {
    expect(authorizer([acl({ operation: Op.WRITE })]).authorizeByResourceType(ANON, HOST, Op.WRITE, RT.TOPIC)).toBe(true);
    expect(authorizer([acl({ operation: Op.WRITE }), acl({ operation: Op.WRITE, permissionType: Perm.DENY, resourceName: '*' })]).authorizeByResourceType(ANON, HOST, Op.WRITE, RT.TOPIC)).toBe(false);
    expect(authorizer([acl({ operation: Op.READ })]).authorizeByResourceType(ANON, HOST, Op.WRITE, RT.TOPIC)).toBe(false);
    expect(authorizer([], { allowEveryone: true }).authorizeByResourceType(ANON, HOST, Op.WRITE, RT.TOPIC)).toBe(true);
  });

  it('reports authorized operations as bit sets', () => {
    const a = authorizer([acl({ operation: Op.WRITE })]);
    expect(a.authorizedOperations(ANON, HOST, RT.TOPIC, 't')).toBe((1 << Op.WRITE) | (1 << Op.DESCRIBE));
  });
});

describe('ACL filters and validation', () => {
  const any: AclFilter = { resourceType: RT.ANY, resourceName: null, patternType: PT.ANY, principal: null, host: null, operation: Op.ANY, permissionType: Perm.ANY };
  const prefixed = acl({ resourceName: 'orders-', patternType: PT.PREFIXED });
  const wildcard = acl({ resourceName: '*' });
  const literal = acl({ resourceName: 'orders-eu' });

  it('ANY matches every binding; a name under ANY matches that exact name in any pattern type', () => {
    for (const a of [prefixed, wildcard, literal]) expect(filterMatches(any, a)).toBe(true);
    expect(filterMatches({ ...any, resourceName: 'orders-' }, prefixed)).toBe(true);
    expect(filterMatches({ ...any, resourceName: 'orders-eu' }, prefixed)).toBe(false);
  });

  it('MATCH finds every pattern that covers a literal name', () => {
    const f = { ...any, resourceName: 'orders-eu', patternType: PT.MATCH };
    expect([prefixed, wildcard, literal].map((a) => filterMatches(f, a))).toEqual([true, true, true]);
    expect(filterMatches({ ...f, resourceName: 'payments' }, prefixed)).toBe(false);
  });

  it('filters on pattern type, principal, host, operation and permission', () => {
    expect(filterMatches({ ...any, patternType: PT.LITERAL }, prefixed)).toBe(false);
    expect(filterMatches({ ...any, principal: 'User:bob' }, literal)).toBe(false);
    expect(filterMatches({ ...any, host: '*' }, literal)).toBe(true);
    expect(filterMatches({ ...any, operation: Op.WRITE }, literal)).toBe(false);
    expect(filterMatches({ ...any, permissionType: Perm.DENY }, literal)).toBe(false);
  });

  it('refuses ACLs and filters Kafka refuses', () => {
    expect(invalidAcl(literal)).toBeNull();
    expect(invalidAcl({ ...literal, resourceType: RT.ANY })).toMatch(/resourceType/);
    expect(invalidAcl({ ...literal, patternType: PT.MATCH })).toMatch(/patternType/);
    expect(invalidAcl({ ...literal, operation: Op.ANY })).toMatch(/operation/);
    expect(invalidAcl({ ...literal, permissionType: Perm.ANY })).toMatch(/permissionType/);
    expect(invalidAcl({ ...literal, resourceName: '' })).toMatch(/empty/);
    expect(invalidAcl({ ...literal, principal: 'alice' })).toMatch(/principal/);
    expect(invalidFilter(any)).toBeNull();
    expect(invalidFilter({ ...any, patternType: PT.UNKNOWN })).toMatch(/patternType/);
    expect(invalidFilter({ ...any, operation: 99 })).toMatch(/operation/);
  });
});

describe('AclControlManager (the controller side of CreateAcls/DeleteAcls)', () => {
  const any: AclFilter = { resourceType: RT.ANY, resourceName: null, patternType: PT.ANY, principal: null, host: null, operation: Op.ANY, permissionType: Perm.ANY };

  function replay(image: MetadataImage, records: MetadataRecord[]): void {
    for (const r of records) image.apply(r);
  }

  it('adds each new valid ACL once, under a fresh id; an existing one succeeds and adds nothing', () => {
    const image = new MetadataImage();
    const first = createAclRecords(image, [acl({}), acl({}), acl({ operation: Op.ANY })]);
    expect(first.results.map((r) => r.errorCode)).toEqual([0, 0, ErrorCode.INVALID_REQUEST]);
    expect(first.records).toHaveLength(1);
    replay(image, first.records);
    const again = createAclRecords(image, [acl({}), acl({ operation: Op.WRITE })]);
    expect(again.results.map((r) => r.errorCode)).toEqual([0, 0]);
    expect(again.records.map((r) => r.type)).toEqual(['accessControlEntry']);
    replay(image, again.records);
    expect(new Set(image.acls.keys()).size).toBe(2);
  });

  it('removes what each filter matches, reporting an ACL under the first filter that matched it', () => {
    const image = new MetadataImage();
    replay(image, createAclRecords(image, [acl({}), acl({ operation: Op.WRITE }), acl({ resourceType: RT.GROUP, resourceName: 'g' })]).records);
    const { records, results } = deleteAclRecords(image, [{ ...any, resourceType: RT.TOPIC, operation: Op.WRITE }, { ...any, resourceType: RT.TOPIC }, { ...any, patternType: PT.UNKNOWN }]);
    expect(results.map((r) => [r.errorCode, r.deleted.map((a) => a.operation)])).toEqual([
      [0, [Op.WRITE]],
      [0, [Op.READ]],
      [ErrorCode.INVALID_REQUEST, []],
    ]);
    replay(image, records);
    expect([...image.acls.values()].map((a) => a.resourceType)).toEqual([RT.GROUP]);
  });
});

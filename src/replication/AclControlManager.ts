// The controller's side of CreateAcls and DeleteAcls (KRaft's AclControlManager): each new,
// valid ACL becomes an accessControlEntry record under a fresh random id (an ACL that exists
// already adds nothing and succeeds); each filter removes the ACLs it matches with
// removeAccessControlEntry records (an ACL matched by two filters is reported by the first).
// The records of one request are committed as one batch by the controller.
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../protocol/errors.js';
import { filterMatches, invalidAcl, invalidFilter, sameAcl, type AclEntry, type AclFilter } from '../security/Acl.js';
import type { MetadataImage, MetadataRecord } from './MetadataImage.js';

export interface AclCreateResult {
  errorCode: number;
  errorMessage: string | null;
}

export interface AclDeleteResult {
  errorCode: number;
  errorMessage: string | null;
  deleted: AclEntry[];
}

function newAclId(image: MetadataImage): string {
  for (;;) {
    const id = randomBytes(16).toString('hex');
    if (!image.acls.has(id)) return id;
  }
}

/** The records creating `acls`, and each one's result. */
export function createAclRecords(image: MetadataImage, acls: AclEntry[]): { records: MetadataRecord[]; results: AclCreateResult[] } {
  const records: MetadataRecord[] = [];
  const added: AclEntry[] = [];
  const results = acls.map((acl): AclCreateResult => {
    const why = invalidAcl(acl);
    if (why) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: why };
    const exists = [...image.acls.values(), ...added].some((a) => sameAcl(a, acl));
    if (!exists) {
      const entry: AclEntry = { ...acl };
      added.push(entry);
      records.push({ type: 'accessControlEntry', id: newAclId(image), acl: entry });
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  });
  return { records, results };
}

/** The records removing what `filters` match, and each filter's result. */
export function deleteAclRecords(image: MetadataImage, filters: AclFilter[]): { records: MetadataRecord[]; results: AclDeleteResult[] } {
  const records: MetadataRecord[] = [];
  const removed = new Set<string>();
  const results = filters.map((f): AclDeleteResult => {
    const why = invalidFilter(f);
    if (why) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: why, deleted: [] };
    const deleted: AclEntry[] = [];
    for (const [id, acl] of image.acls) {
      if (removed.has(id) || !filterMatches(f, acl)) continue;
      removed.add(id);
      deleted.push(acl);
      records.push({ type: 'removeAccessControlEntry', id });
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, deleted };
  });
  return { records, results };
}

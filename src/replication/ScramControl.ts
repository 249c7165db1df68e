// AlterUserScramCredentials on the controller (Kafka's ScramControlManager): each user may be
// named once per request (DUPLICATE_RESOURCE otherwise), needs a name and a known mechanism,
// 4096..16384 iterations for an upsertion and an existing credential for a deletion. The
// client sends the salted password; the log stores only the stored and server keys derived
// from it (UserScramCredentialRecord / RemoveUserScramCredentialRecord). Users whose change is
// valid are committed together; the others get their error.
import { ErrorCode } from '../protocol/errors.js';
import type * as M from '../protocol/messages/index.js';
import { SCRAM_MECHANISMS, scramCredentialFromSaltedPassword, scramMechanismOfType } from '../security/ScramSaslServer.js';
import type { MetadataImage, MetadataRecord } from './MetadataImage.js';

interface Failure {
  errorCode: number;
  errorMessage: string;
}

const DUPLICATE: Failure = { errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'A user credential cannot be altered twice in the same request' };

function checkUserAndMechanism(name: string, mechanism: number): Failure | null {
  if (name === '') return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Username must not be empty' };
  if (!scramMechanismOfType(mechanism)) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: 'Unknown SCRAM mechanism' };
  return null;
}

/** The records to commit and the answer, for one AlterUserScramCredentials request. */
export function scramChanges(image: MetadataImage, req: M.AlterUserScramCredentialsRequest): { records: MetadataRecord[]; response: M.AlterUserScramCredentialsResponse } {
  const deletions = new Map<string, M.AlterUserScramCredentialsRequestScramCredentialDeletion>();
  const upsertions = new Map<string, M.AlterUserScramCredentialsRequestScramCredentialUpsertion>();
  const errors = new Map<string, Failure>();
  for (const d of req.deletions) {
    if (errors.has(d.name)) continue;
    if (deletions.delete(d.name)) {
      errors.set(d.name, DUPLICATE);
      continue;
    }
    const bad =
      checkUserAndMechanism(d.name, d.mechanism) ??
      (image.scramCredentials.get(d.name)?.has(d.mechanism)
        ? null
        : { errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to delete a user credential that does not exist' });
    if (bad) errors.set(d.name, bad);
    else deletions.set(d.name, d);
  }
  for (const u of req.upsertions) {
    if (errors.has(u.name)) continue;
    if (deletions.delete(u.name) || upsertions.delete(u.name)) {
      errors.set(u.name, DUPLICATE);
      continue;
    }
    let bad = checkUserAndMechanism(u.name, u.mechanism);
    if (!bad) {
      const limits = SCRAM_MECHANISMS[scramMechanismOfType(u.mechanism)!];
      if (u.iterations < limits.minIterations) bad = { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too few iterations' };
      else if (u.iterations > limits.maxIterations) bad = { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too many iterations' };
    }
    if (bad) errors.set(u.name, bad);
    else upsertions.set(u.name, u);
  }
  const records: MetadataRecord[] = [];
  const results: M.AlterUserScramCredentialsResponse['results'] = [];
  for (const d of deletions.values()) {
    records.push({ type: 'removeUserScramCredential', name: d.name, mechanism: d.mechanism });
    results.push({ user: d.name, errorCode: ErrorCode.NONE, errorMessage: null });
  }
  for (const u of upsertions.values()) {
    const c = scramCredentialFromSaltedPassword(scramMechanismOfType(u.mechanism)!, u.salt, u.iterations, u.saltedPassword);
    records.push({
      type: 'userScramCredential',
      name: u.name,
      mechanism: u.mechanism,
      credential: { salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: c.iterations },
    });
    results.push({ user: u.name, errorCode: ErrorCode.NONE, errorMessage: null });
  }
  for (const [user, e] of errors) results.push({ user, errorCode: e.errorCode, errorMessage: e.errorMessage });
  return { records, response: { throttleTimeMs: 0, results } };
}

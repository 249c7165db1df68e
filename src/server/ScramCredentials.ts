// SCRAM credentials between the metadata image (where the controller's UserScramCredential
// records land) and the SASL authenticator, and DescribeUserScramCredentials' answer, which a
// broker gives from its own image as Kafka's brokers do.
import { ErrorCode } from '../protocol/errors.js';
import type * as M from '../protocol/messages/index.js';
import type { MetadataImage } from '../replication/MetadataImage.js';
import type { ScramCredential, ScramMechanism } from '../security/SaslServer.js';
import { SCRAM_MECHANISMS } from '../security/ScramSaslServer.js';

/** The stored credential of `user` for `mechanism`, if any. */
export function scramCredentialOf(image: MetadataImage, mechanism: ScramMechanism, user: string): ScramCredential | undefined {
  const c = image.scramCredentials.get(user)?.get(SCRAM_MECHANISMS[mechanism].type);
  if (!c) return undefined;
  return { salt: Buffer.from(c.salt, 'base64'), storedKey: Buffer.from(c.storedKey, 'base64'), serverKey: Buffer.from(c.serverKey, 'base64'), iterations: c.iterations };
}

/**
 * DescribeUserScramCredentials as Kafka answers it: every user with a credential when `users` is
 * null or empty; otherwise each named user, RESOURCE_NOT_FOUND for one without credentials and
 * DUPLICATE_RESOURCE for one named twice.
 */
export function describeScramCredentials(image: MetadataImage, users: string[] | null): M.DescribeUserScramCredentialsResponse {
  const describe = (user: string) => ({
    user,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    credentialInfos: [...(image.scramCredentials.get(user) ?? new Map()).entries()]
      .sort(([a], [b]) => a - b)
      .map(([mechanism, c]) => ({ mechanism, iterations: c.iterations })),
  });
  if (!users || users.length === 0) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results: [...image.scramCredentials.keys()].sort().map(describe) };
  }
  const seen = new Map<string, number>();
  for (const u of users) seen.set(u, (seen.get(u) ?? 0) + 1);
  const results = [...seen.entries()].map(([user, count]) => {
    if (count > 1) {
      return { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] };
    }
    if (!image.scramCredentials.has(user)) {
      return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] };
    }
    return describe(user);
  });
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
}

// What send() returns without a callback (Kafka's FutureRecordMetadata): a native
// Promise<RecordMetadata>. Native, because await and Promise.all/allSettled take a native
// promise as it is, while any other thenable costs them an extra promise, a job and a
// then() call per record (measured: 3x the cost of the whole Promise path). A record appended
// at once gets a promise derived from its batch's one promise (ProducerBatch.derivePromise);
// this module makes the others (sends that fail at once or wait for memory or metadata): a
// promise from a shared executor (no closure per send) whose settle functions the batch, or
// the waiting queue, keeps. A failure is marked handled first, so a send nobody observes never
// becomes an unhandled rejection (which would end the process); an await still gets the error.
import type { RecordMetadata } from './ProducerRecord.js';

export type ResolveRecord = (m: RecordMetadata) => void;
export type RejectRecord = (e: unknown) => void;

let capturedResolve: ResolveRecord | null = null;
let capturedReject: RejectRecord | null = null;
function capture(resolve: ResolveRecord, reject: RejectRecord): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/** A new record promise; its settle functions are then `lastResolve()` and `lastReject()` (read them at once). */
export function newRecordPromise(): Promise<RecordMetadata> {
  return new Promise<RecordMetadata>(capture);
}
export function lastResolve(): ResolveRecord {
  return capturedResolve!;
}
export function lastReject(): RejectRecord {
  return capturedReject!;
}

function ignore(): void {}

/** Reject a record promise without ever making it an unhandled rejection. */
export function rejectRecord(promise: Promise<RecordMetadata>, reject: RejectRecord, error: unknown): void {
  promise.then(undefined, ignore);
  reject(error);
}

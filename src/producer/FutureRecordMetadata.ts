// What send() returns without a callback (Kafka's FutureRecordMetadata): a native
// Promise<RecordMetadata>. Native, because await and Promise.all/allSettled take a native
// promise as it is, while any other thenable costs them an extra promise, a job and a then()
// call per record (measured: 3x the cost of the whole Promise path). No promise has settle
// functions of its own: a record appended at once gets one derived from its batch's single
// promise (ProducerBatch.derivePromise), a waiting send one derived from its WaitingGroup's,
// and a send that fails at once an already rejected one. Failures are marked handled, so a
// send nobody observes never becomes an unhandled rejection (which would end the process); an
// await still gets the error.
import type { RecordMetadata } from './ProducerRecord.js';

function ignore(): void {}

/** Mark a record promise that may reject as handled (its own rejection is still seen by anyone awaiting it). */
export function markHandled(promise: Promise<RecordMetadata>): void {
  promise.then(undefined, ignore);
}

/** The promise of a send that failed at once. */
export function failedRecordPromise(error: unknown): Promise<RecordMetadata> {
  const p = Promise.reject(error) as Promise<RecordMetadata>;
  markHandled(p);
  return p;
}

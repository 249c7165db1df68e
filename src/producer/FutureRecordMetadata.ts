// What send() returns (Kafka's FutureRecordMetadata): a small object pointing at the record's
// batch and its position in it. It implements Promise<RecordMetadata> (await, then, catch,
// finally, Promise.all), but a real Promise is only made when someone waits on it: a send whose
// result is never looked at costs one short-lived object, and nothing is kept per record in
// the batch. The result is read off the batch when it completes.
import type { ProducerError } from './errors.js';
import type { ProducerBatch } from './ProducerBatch.js';
import type { RecordMetadata } from './ProducerRecord.js';

type Resolve = (m: RecordMetadata) => void;
type Reject = (e: unknown) => void;

let capturedResolve: Resolve;
let capturedReject: Reject;
function capture(resolve: Resolve, reject: Reject): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

export class FutureRecordMetadata implements Promise<RecordMetadata> {
  /** The batch holding the record (null while the send waits for metadata or memory, or failed before). */
  batch: ProducerBatch | null = null;
  index = 0;
  /** Failure before the record reached a batch. */
  error: ProducerError | null = null;
  /** The real Promise and its settle functions, once someone waits (kept out of line: most futures never get one). */
  private waiter: { promise: Promise<RecordMetadata>; resolve: Resolve | null; reject: Reject | null } | null = null;

  get [Symbol.toStringTag](): string {
    return 'FutureRecordMetadata';
  }

  then<T1 = RecordMetadata, T2 = never>(
    onfulfilled?: ((value: RecordMetadata) => T1 | PromiseLike<T1>) | null,
    onrejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    return this.toPromise().then(onfulfilled, onrejected);
  }

  catch<T = never>(onrejected?: ((reason: unknown) => T | PromiseLike<T>) | null): Promise<RecordMetadata | T> {
    return this.toPromise().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<RecordMetadata> {
    return this.toPromise().finally(onfinally);
  }

  /** The underlying Promise (made on first use). */
  toPromise(): Promise<RecordMetadata> {
    if (this.waiter !== null) return this.waiter.promise;
    const p = new Promise<RecordMetadata>(capture);
    this.waiter = { promise: p, resolve: capturedResolve, reject: capturedReject };
    if (this.error !== null) this.settle();
    else if (this.batch !== null) this.attach();
    // else: the send is waiting; attach() is called when the record reaches a batch.
    return p;
  }

  /** The record was appended to a batch. */
  placed(batch: ProducerBatch, index: number): void {
    this.batch = batch;
    this.index = index;
    if (this.waiter !== null) this.attach();
  }

  /** The record failed before reaching a batch. */
  fail(error: ProducerError): void {
    this.error = error;
    if (this.waiter !== null) this.settle();
  }

  /** Register with the batch that now holds the record (following splits), or settle if it is done. */
  attach(): void {
    const [b, i] = this.batch!.resolveSplit(this.index);
    this.batch = b;
    this.index = i;
    if (b.done) this.settle();
    else b.addWaiter(this);
  }

  /** Settle the Promise (if one was made) from the batch's outcome. */
  settle(): void {
    const w = this.waiter;
    if (w === null || w.resolve === null || w.reject === null) return;
    const resolve = w.resolve;
    const reject = w.reject;
    w.resolve = null;
    w.reject = null;
    if (this.error !== null) {
      reject(this.error);
      return;
    }
    const b = this.batch!;
    const err = b.errorFor(this.index);
    if (err !== null) reject(err);
    else resolve(b.metadataFor(this.index));
  }
}

// Kafka's TransactionalRequestResult: the outcome of initTransactions, sendOffsetsToTransaction,
// commitTransaction or abortTransaction, completed by the Sender when the coordinator answers.
// The caller waits at most max.block.ms; a result that timed out is not "acked", so the same
// call made again waits on the same result instead of starting over (Java's pendingTransition).
import { TimeoutError, type ProducerError } from './errors.js';

export class TransactionalRequestResult {
  private completedWith: { error: ProducerError | null } | null = null;
  private waiters: (() => void)[] = [];
  /** A caller saw the outcome (success or error), so a new call may start a new operation. */
  isAcked = false;

  constructor(readonly operation: string) {}

  get isCompleted(): boolean {
    return this.completedWith !== null;
  }

  get isSuccessful(): boolean {
    return this.completedWith !== null && this.completedWith.error === null;
  }

  get error(): ProducerError | null {
    return this.completedWith?.error ?? null;
  }

  done(): void {
    this.complete(null);
  }

  fail(error: ProducerError): void {
    this.complete(error);
  }

  private complete(error: ProducerError | null): void {
    if (this.completedWith !== null) return;
    this.completedWith = { error };
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Wait for the outcome for at most timeoutMs: resolves on success, rejects with its error or a TimeoutError. */
  async await(timeoutMs: number): Promise<void> {
    if (!this.isCompleted) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        if (Number.isFinite(timeoutMs)) timer = setTimeout(resolve, Math.max(timeoutMs, 0));
      });
      if (timer !== undefined) clearTimeout(timer);
      if (!this.isCompleted) throw new TimeoutError(`Timeout expired after ${timeoutMs} ms while awaiting ${this.operation}`);
    }
    this.isAcked = true;
    const err = this.completedWith!.error;
    if (err !== null) throw err;
  }
}

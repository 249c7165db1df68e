// Producer ids for idempotent and transactional producers, unique across the cluster for the
// life of its data: handed out from blocks of 1000 that the controller allocates (and
// records in its metadata log), as Kafka's ProducerIdManager does; a crash can skip ids but
// never repeat one. What a transactional id maps to lives in __transaction_state
// (transaction/TransactionStateManager), not here.
import { ErrorCode, KafkaError } from '../protocol/errors.js';

export class ProducerIdManager {
  private next = 0;
  private end = 0;
  private refill: Promise<void> | null = null;

  constructor(private readonly allocateBlock: () => Promise<{ start: number; length: number }>) {}

  /** A fresh producer id. */
  async generate(): Promise<number> {
    while (this.next >= this.end) {
      this.refill ??= this.allocateBlock().then(
        (block) => {
          this.next = block.start;
          this.end = block.start + block.length;
          this.refill = null;
        },
        (err: Error) => {
          this.refill = null;
          throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `no producer id block: ${err.message}`);
        },
      );
      await this.refill;
    }
    return this.next++;
  }
}

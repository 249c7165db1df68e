// Producer ids for idempotent and transactional producers, unique across the cluster for the
// life of its data: handed out from blocks of 1000 that the controller allocates (and
// records in its metadata log), as Kafka's ProducerIdManager does; a crash can skip ids but
// never repeat one. Transactional ids map to a (producer id, epoch) pair that a re-init
// bumps (KIP-360), persisted in this broker's data dir.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '../log/CheckpointFile.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';

const MAX_EPOCH = 32767;

interface Stored {
  transactionalIds: Record<string, { producerId: number; producerEpoch: number }>;
}

export class ProducerIdManager {
  private readonly file: string | null;
  private state: Stored;
  private next = 0;
  private end = 0;
  private refill: Promise<void> | null = null;

  constructor(
    dataDir: string | null,
    private readonly allocateBlock: () => Promise<{ start: number; length: number }>,
  ) {
    this.file = dataDir === null ? null : path.join(dataDir, '__transactions', 'producer-ids.json');
    this.state = this.file && fs.existsSync(this.file) ? (JSON.parse(fs.readFileSync(this.file, 'utf8')) as Stored) : { transactionalIds: {} };
  }

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

  /**
   * InitProducerId with a transactional id: a new id gets a fresh producer id at epoch 0; a
   * known one has its epoch bumped (a new producer id once the epoch is exhausted). When the
   * caller passes its current (producerId, epoch) (v3+), it must match, else it is fenced.
   */
  async initTransactional(transactionalId: string, expected: { producerId: number; producerEpoch: number } | null): Promise<{ producerId: number; producerEpoch: number }> {
    const current = this.state.transactionalIds[transactionalId];
    if (current && expected && expected.producerId >= 0) {
      const sameEpochRetry = expected.producerId === current.producerId && expected.producerEpoch === current.producerEpoch;
      const previousEpochRetry = expected.producerId === current.producerId && expected.producerEpoch === current.producerEpoch - 1;
      if (!sameEpochRetry && !previousEpochRetry) throw new KafkaError(ErrorCode.PRODUCER_FENCED, `producer ${expected.producerId} epoch ${expected.producerEpoch} is fenced`);
      if (previousEpochRetry) return { ...current }; // a retry of the bump that already happened
    }
    let next: { producerId: number; producerEpoch: number };
    if (!current || current.producerEpoch >= MAX_EPOCH - 1) next = { producerId: await this.generate(), producerEpoch: 0 };
    else next = { producerId: current.producerId, producerEpoch: current.producerEpoch + 1 };
    this.state.transactionalIds[transactionalId] = next;
    this.persist();
    return { ...next };
  }

  private persist(): void {
    if (!this.file) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomically(this.file, JSON.stringify(this.state));
  }
}

// Producer ids for idempotent and transactional producers, unique for the life of the data
// dir: handed out from blocks whose upper bound is persisted before the first id of a block
// is used (Kafka's ProducerIdManager gets such blocks from the controller), so a crash can
// skip ids but never repeat one. Transactional ids map to a (producer id, epoch) pair that a
// re-init bumps (KIP-360), also persisted.
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode, KafkaError } from '../protocol/errors.js';

const BLOCK_SIZE = 1000;
const MAX_EPOCH = 32767;

interface Stored {
  /** Every id below this may have been handed out. */
  nextBlockStart: number;
  transactionalIds: Record<string, { producerId: number; producerEpoch: number }>;
}

export class ProducerIdManager {
  private readonly file: string | null;
  private state: Stored;
  private next: number;

  constructor(dataDir: string | null) {
    this.file = dataDir === null ? null : path.join(dataDir, '__cluster_metadata', 'producer-ids.json');
    this.state = this.file && fs.existsSync(this.file) ? (JSON.parse(fs.readFileSync(this.file, 'utf8')) as Stored) : { nextBlockStart: 0, transactionalIds: {} };
    this.next = this.state.nextBlockStart; // the rest of the last block may have been used before a crash
  }

  /** A fresh producer id. */
  generate(): number {
    if (this.next >= this.state.nextBlockStart) {
      this.state.nextBlockStart = this.next + BLOCK_SIZE;
      this.persist();
    }
    return this.next++;
  }

  /**
   * InitProducerId with a transactional id: a new id gets a fresh producer id at epoch 0; a
   * known one has its epoch bumped (a new producer id once the epoch is exhausted). When the
   * caller passes its current (producerId, epoch) (v3+), it must match, else it is fenced.
   */
  initTransactional(transactionalId: string, expected: { producerId: number; producerEpoch: number } | null): { producerId: number; producerEpoch: number } {
    const current = this.state.transactionalIds[transactionalId];
    if (current && expected && expected.producerId >= 0) {
      const sameEpochRetry = expected.producerId === current.producerId && expected.producerEpoch === current.producerEpoch;
      const previousEpochRetry = expected.producerId === current.producerId && expected.producerEpoch === current.producerEpoch - 1;
      if (!sameEpochRetry && !previousEpochRetry) throw new KafkaError(ErrorCode.PRODUCER_FENCED, `producer ${expected.producerId} epoch ${expected.producerEpoch} is fenced`);
      if (previousEpochRetry) return { ...current }; // a retry of the bump that already happened
    }
    let next: { producerId: number; producerEpoch: number };
    if (!current) next = { producerId: this.generate(), producerEpoch: 0 };
    else if (current.producerEpoch >= MAX_EPOCH - 1) next = { producerId: this.generate(), producerEpoch: 0 };
    else next = { producerId: current.producerId, producerEpoch: current.producerEpoch + 1 };
    this.state.transactionalIds[transactionalId] = next;
    this.persist();
    return { ...next };
  }

  private persist(): void {
    if (!this.file) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(this.state));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
  }
}

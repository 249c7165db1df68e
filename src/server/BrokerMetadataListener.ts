// A broker's replay of the metadata log (Kafka's BrokerMetadataListener and the publishing half
// of BrokerMetadataPublisher): fetch the committed records from the controller into `nextImage`,
// bring the hosted partitions and the dynamic broker configs in line with what changed, then
// publish the records to `image`, the metadata clients see; and wake whoever waits for the
// published metadata to show something.
import type { KafkaConfig } from '../common/KafkaConfig.js';
import type { Logger } from '../logger.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { BrokerToController } from '../replication/BrokerToController.js';
import { configKey, decodeMetadataRecords, MetadataDelta, type MetadataImage, type OffsetRecord } from '../replication/MetadataImage.js';
import { crashPoint } from '../util/CrashBoundary.js';
import type { ReplicaManager } from './ReplicaManager.js';

const METADATA_WAIT_MS = 500;

export interface BrokerMetadataListenerDeps {
  nodeId: number;
  config: KafkaConfig;
  /** The metadata as clients see it: records are published to it once the partitions reflect them. */
  image: MetadataImage;
  /** The metadata log replayed as far as fetched. */
  nextImage: MetadataImage;
  replicaManager: ReplicaManager;
  /** The channel to the controller (throws while the broker is not running). */
  controller(): BrokerToController;
  running(): boolean;
  /** Sleep, cut short by the broker's stop(). */
  sleep(ms: number): Promise<void>;
  /** Records up to image.offset were published. */
  published(): void;
  log: Logger;
}

export class BrokerMetadataListener {
  /** What nextImage has that the partitions do not yet (deltas merged until one pass applies them all). */
  private pendingDelta: MetadataDelta | null = null;
  /** The records of pendingDelta, published to `image` once applied. */
  private unpublished: OffsetRecord[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(private readonly deps: BrokerMetadataListenerDeps) {}

  /** Fetch and apply the metadata log until the broker stops. */
  async run(): Promise<void> {
    const { nextImage, log } = this.deps;
    while (this.deps.running()) {
      try {
        const { records, errorCode, highWatermark } = await this.deps.controller().fetchMetadata(nextImage.offset, METADATA_WAIT_MS);
        if (!this.deps.running()) return;
        if (errorCode !== ErrorCode.NONE) throw new KafkaError(errorCode, 'metadata fetch failed');
        if (records && records.length > 0) {
          const decoded = decodeMetadataRecords(records, nextImage.offset);
          const delta = new MetadataDelta();
          nextImage.applyRecords(decoded, delta);
          for (const r of decoded) this.unpublished.push(r);
          if (this.pendingDelta) this.pendingDelta.merge(delta);
          else this.pendingDelta = delta;
        }
        if (this.pendingDelta) await this.applyMetadataToPartitions(nextImage.offset >= highWatermark);
      } catch (err) {
        if (!this.deps.running()) return;
        log.debug(`metadata fetch: ${(err as Error).message}`);
        await this.deps.sleep(200);
      }
    }
  }

  /**
   * Bring the hosted partitions in line with nextImage: apply what changed since the last pass
   * that succeeded, then publish those records to `image`, so that clients (Metadata,
   * FindCoordinator) and heartbeats never get ahead of the partitions. A failure is logged at
   * ERROR with its stack and the same delta (merged with what arrives meanwhile) is applied again
   * on the next pass of the metadata loop. A long pass yields to the event loop between slices.
   */
  private async applyMetadataToPartitions(caughtUp: boolean): Promise<void> {
    const { config, nodeId, nextImage } = this.deps;
    const delta = this.pendingDelta;
    try {
      crashPoint('metadata.apply');
      // dynamic broker configs first: the topics' log configs inherit them
      config.setDynamic('default', nextImage.configs.get(configKey(4, '')) ?? {});
      config.setDynamic('broker', nextImage.configs.get(configKey(4, String(nodeId))) ?? {});
      await this.deps.replicaManager.applyMetadata(nextImage, delta, caughtUp, () => !this.deps.running());
      this.pendingDelta = null;
      this.deps.image.applyRecords(this.unpublished);
      this.unpublished = [];
      this.deps.published();
    } catch (err) {
      if (!this.deps.running()) return;
      this.deps.log.error(`applying metadata to the partitions failed (contained): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return;
    }
    this.wakeWaiters();
  }

  /** Resolve once cond() holds (checked on every metadata change), or fail after timeoutMs. */
  waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!cond()) return;
        cleanup();
        resolve();
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `timed out waiting to be ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Have every waiter check its condition again. */
  wakeWaiters(): void {
    for (const w of [...this.waiters]) w();
  }
}

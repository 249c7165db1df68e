// A follower's replication loop towards one leader (Kafka's ReplicaFetcherThread): Fetch
// requests carrying this broker's replica id, the last epoch in its log and the leader epoch
// it believes in. The leader answers with records, its high watermark, or — when our log
// has records the leader lacks — the diverging epoch and where it ends (KIP-279/KIP-320),
// and we truncate there before fetching again. So no replica keeps what the leader lacks.
import type { Logger } from '../logger.js';
import { ErrorCode, errorName } from '../protocol/errors.js';
import * as M from '../protocol/messages/index.js';
import type { Partition } from './Partition.js';
import type { NodeClient } from '../network/NodeClient.js';
import { crashPoint } from '../util/CrashBoundary.js';

/**
 * Where a follower truncates when the leader reports a diverging epoch (Kafka's
 * getOffsetTruncationState, KIP-279): bounded by the leader's end offset for that epoch, by
 * our own end offset for the same epoch, and by our log end. When we do not know the epoch
 * the leader named, we cut back to the end of our largest smaller epoch and ask again; when
 * the leader knows no epoch at all, to our high watermark (which the leader has).
 */
export function truncationOffset(p: Partition, diverging: { epoch: number; endOffset: number }): number {
  const logEnd = p.log.logEndOffset;
  if (diverging.epoch < 0 || diverging.endOffset < 0) return Math.min(p.highWatermark, logEnd);
  const mine = p.log.endOffsetForEpoch(diverging.epoch);
  if (mine.epoch < 0) return Math.min(diverging.endOffset, logEnd);
  if (mine.epoch !== diverging.epoch) return Math.min(mine.endOffset, logEnd);
  return Math.min(mine.endOffset, diverging.endOffset, logEnd);
}

const FETCH_VERSION = 12;
const MAX_WAIT_MS = 500;
const BACKOFF_MS = 200;
const PARTITION_MAX_BYTES = 1024 * 1024;
const MAX_BYTES = 16 * 1024 * 1024;

export class ReplicaFetcher {
  private readonly partitions = new Map<string, Partition>();
  private running = true;
  private wake: (() => void) | null = null;
  private loop: Promise<void>;

  constructor(
    readonly localId: number,
    readonly leaderId: number,
    private readonly client: NodeClient,
    private readonly log: Logger,
  ) {
    this.loop = this.run();
  }

  get size(): number {
    return this.partitions.size;
  }

  add(p: Partition): void {
    this.partitions.set(p.name, p);
    this.wake?.();
  }

  remove(p: Partition): void {
    this.partitions.delete(p.name);
  }

  has(p: Partition): boolean {
    return this.partitions.get(p.name) === p;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    this.client.close();
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    }).then(() => {
      this.wake = null;
    });
  }

  /** The fetch loop; an unexpected throw is logged with its stack and the loop backs off and goes on. */
  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.fetchOnce();
      } catch (err) {
        this.log.error(`fetch loop towards leader ${this.leaderId} failed (contained): ${(err as Error).stack ?? String(err)}`);
        await this.sleep(BACKOFF_MS);
      }
    }
  }

  private async fetchOnce(): Promise<void> {
    const batch = [...this.partitions.values()].filter((p) => p.leaderId === this.leaderId && !p.isLeader);
    if (batch.length === 0) {
      await this.sleep(1000);
      return;
    }
    const sent = batch.map((p) => ({ p, fetchOffset: p.log.logEndOffset, epoch: p.leaderEpoch }));
    const sentByName = new Map(sent.map((x) => [x.p.name, x]));
    const byTopic = new Map<string, typeof sent>();
    for (const s of sent) {
      const list = byTopic.get(s.p.topic) ?? [];
      list.push(s);
      byTopic.set(s.p.topic, list);
    }
    let res: M.FetchResponse;
    try {
      res = await this.client.request(
        M.FetchApi.key,
        FETCH_VERSION,
        M.encodeFetchRequest,
        M.decodeFetchResponse,
        {
          ...M.defaultFetchRequest(),
          replicaId: this.localId,
          maxWaitMs: MAX_WAIT_MS,
          minBytes: 1,
          maxBytes: MAX_BYTES,
          isolationLevel: 0,
          sessionEpoch: -1,
          topics: [...byTopic].map(([topic, list]) => ({
            topic,
            topicId: Buffer.alloc(16),
            partitions: list.map((s) => ({
              ...M.defaultFetchRequestFetchPartition(),
              partition: s.p.index,
              currentLeaderEpoch: s.epoch,
              fetchOffset: s.fetchOffset,
              lastFetchedEpoch: s.p.log.leaderEpochCache.latestEpoch,
              logStartOffset: s.p.logStartOffset,
              partitionMaxBytes: PARTITION_MAX_BYTES,
            })),
          })),
        },
        MAX_WAIT_MS + 10_000,
      );
    } catch (err) {
      this.log.debug(`fetch from leader ${this.leaderId} failed: ${(err as Error).message}`);
      await this.sleep(BACKOFF_MS);
      return;
    }
    let backoff = false;
    for (const t of res.responses) {
      for (const pd of t.partitions) {
        const s = sentByName.get(`${t.topic}-${pd.partitionIndex}`);
        if (!s) continue;
        // The partition may have changed hands or been truncated while the request was out.
        if (!this.has(s.p) || s.p.leaderId !== this.leaderId || s.p.leaderEpoch !== s.epoch || s.p.log.logEndOffset !== s.fetchOffset) continue;
        if (!this.handle(s.p, s.fetchOffset, pd)) backoff = true;
      }
    }
    if (backoff) await this.sleep(BACKOFF_MS);
  }

  /** Apply one partition's answer; false when the fetcher should back off. */
  private handle(p: Partition, fetchOffset: number, pd: M.FetchResponse['responses'][number]['partitions'][number]): boolean {
    try {
      crashPoint('replica.fetch');
      if (pd.errorCode === ErrorCode.NONE) {
        if (pd.divergingEpoch.epoch >= 0 || pd.divergingEpoch.endOffset >= 0) {
          const to = truncationOffset(p, pd.divergingEpoch);
          this.log.warn(
            `${p.name}: log diverges from leader ${this.leaderId} after epoch ${pd.divergingEpoch.epoch} (ends at ${pd.divergingEpoch.endOffset} there); truncating from ${p.log.logEndOffset} to ${to}`,
          );
          p.truncateTo(to);
          return true;
        }
        p.appendRecordsAsFollower(pd.records, pd.highWatermark);
        // DeleteRecords and retention on the leader move our log start offset too.
        if (pd.logStartOffset > p.logStartOffset && pd.logStartOffset <= p.log.logEndOffset) p.log.deleteRecordsBefore(pd.logStartOffset);
        return true;
      }
      if (pd.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        if (fetchOffset < pd.logStartOffset) {
          this.log.warn(`${p.name}: leader ${this.leaderId} starts at ${pd.logStartOffset}, past our end ${fetchOffset}; starting over there`);
          p.truncateFullyAndStartAt(pd.logStartOffset);
        } else {
          const to = Math.max(pd.highWatermark, 0);
          this.log.warn(`${p.name}: fetch offset ${fetchOffset} is past leader ${this.leaderId}'s log; truncating to its high watermark ${to}`);
          p.truncateTo(to);
        }
        return true;
      }
      this.log.debug(`${p.name}: leader ${this.leaderId} answered ${errorName(pd.errorCode)}`);
      return false;
    } catch (err) {
      this.log.error(`${p.name}: replication from ${this.leaderId} failed: ${(err as Error).stack ?? String(err)}`);
      return false;
    }
  }
}

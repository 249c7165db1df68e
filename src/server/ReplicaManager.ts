// The partitions this broker hosts and the two things clients do to them: append
// (Produce) and read (Fetch, with long polling on min.bytes / max.wait.ms).
import fs from 'node:fs';
import path from 'node:path';
import { LogConfig } from '../log/LogConfig.js';
import { UnifiedLog } from '../log/UnifiedLog.js';
import type { Logger } from '../logger.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { effectiveTopicConfigs, type KafkaConfig } from './KafkaConfig.js';
import type { TopicMetadata } from './MetadataStore.js';
import { Partition } from './Partition.js';

export interface FetchPartitionRequest {
  topic: string;
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
}

export interface FetchPartitionResult {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  records: Buffer | null;
}

export interface FetchParams {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitions: FetchPartitionRequest[];
}

export class ReplicaManager {
  private readonly topics = new Map<string, Partition[]>();

  constructor(
    private readonly dataDir: string | null,
    private readonly config: KafkaConfig,
    private readonly log: Logger,
  ) {}

  logConfigFor(topic: TopicMetadata): LogConfig {
    const props: Record<string, string> = {};
    for (const c of effectiveTopicConfigs(this.config, topic.configs)) props[c.name] = c.value;
    return LogConfig.fromProperties(props);
  }

  private partitionDir(topic: string, index: number): string | null {
    return this.dataDir === null ? null : path.join(this.dataDir, `${topic}-${index}`);
  }

  /** Open (creating if needed) the logs of partitions [from, topic.partitions). */
  openPartitions(topic: TopicMetadata, from = 0): void {
    const list = this.topics.get(topic.name) ?? [];
    const config = this.logConfigFor(topic);
    for (let i = from; i < topic.partitions; i++) {
      const dir = this.partitionDir(topic.name, i);
      if (dir) fs.mkdirSync(dir, { recursive: true });
      list[i] = new Partition(topic.name, i, UnifiedLog.open(dir, config));
    }
    this.topics.set(topic.name, list);
  }

  deletePartitions(topic: string): void {
    const list = this.topics.get(topic);
    if (!list) return;
    this.topics.delete(topic);
    for (const p of list) {
      p.log.delete();
      p.notifyWatchers(); // parked fetches re-check and see the topic is gone
    }
  }

  updateConfig(topic: TopicMetadata): void {
    const config = this.logConfigFor(topic);
    for (const p of this.topics.get(topic.name) ?? []) p.log.updateConfig(config);
  }

  getPartition(topic: string, index: number): Partition | undefined {
    return this.topics.get(topic)?.[index];
  }

  /** The partition, or a KafkaError(UNKNOWN_TOPIC_OR_PARTITION). */
  partitionOrThrow(topic: string, index: number): Partition {
    const p = this.getPartition(topic, index);
    if (!p) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    return p;
  }

  allPartitions(): Partition[] {
    return [...this.topics.values()].flat();
  }

  /** Periodic work: time-based flushes and retention. */
  maintain(now: number, retention: boolean): void {
    for (const p of this.allPartitions()) {
      try {
        p.log.maybeFlush(now);
        p.log.removeExpiredProducers(now, this.config.int('producer.id.expiration.ms'));
        if (retention) {
          const deleted = p.log.applyRetention(now);
          if (deleted > 0) this.log.info(`retention deleted ${deleted} segment(s) of ${p.name}, log start offset ${p.logStartOffset}`);
        }
      } catch (err) {
        this.log.error(`maintenance of ${p.name} failed: ${(err as Error).message}`);
      }
    }
  }

  close(): void {
    for (const p of this.allPartitions()) p.log.close();
    this.topics.clear();
  }

  /**
   * Kafka's fetchMessages: read what is there; if it is less than minBytes, park until an
   * append to one of the partitions brings enough, or maxWaitMs passes.
   */
  fetchMessages(params: FetchParams): Promise<FetchPartitionResult[]> | FetchPartitionResult[] {
    const first = this.readFromLocalLogs(params);
    if (params.maxWaitMs <= 0 || first.satisfied) return first.results;
    return new Promise((resolve) => {
      const unwatch: (() => void)[] = [];
      let done = false;
      const finish = (results: FetchPartitionResult[]) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        for (const u of unwatch) u();
        resolve(results);
      };
      const timer = setTimeout(() => finish(this.readFromLocalLogs(params).results), params.maxWaitMs);
      const recheck = () => {
        // Defer so that one produce request appending to several partitions is seen whole.
        setImmediate(() => {
          if (done) return;
          const again = this.readFromLocalLogs(params);
          if (again.satisfied) finish(again.results);
        });
      };
      for (const req of params.partitions) {
        const p = this.getPartition(req.topic, req.partition);
        if (p) unwatch.push(p.watch(recheck));
      }
    });
  }

  private readFromLocalLogs(params: FetchParams): { results: FetchPartitionResult[]; satisfied: boolean } {
    let remaining = params.maxBytes;
    let bytes = 0;
    let anyError = false;
    const results = params.partitions.map((req): FetchPartitionResult => {
      const p = this.getPartition(req.topic, req.partition);
      if (!p) {
        anyError = true;
        return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: null };
      }
      const base = { highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset, logStartOffset: p.logStartOffset };
      if (req.fetchOffset < p.logStartOffset || req.fetchOffset > p.log.logEndOffset) {
        anyError = true;
        return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, ...base, records: null };
      }
      const limit = Math.max(0, Math.min(req.partitionMaxBytes, remaining));
      // Kafka returns at least one whole batch for the first partition with data, even past max.bytes.
      const minOneMessage = bytes === 0;
      if (limit === 0 && !minOneMessage) return { errorCode: ErrorCode.NONE, ...base, records: null };
      const { records } = p.log.read(req.fetchOffset, limit, p.highWatermark, minOneMessage);
      if (records) {
        bytes += records.length;
        remaining -= records.length;
      }
      return { errorCode: ErrorCode.NONE, ...base, records };
    });
    return { results, satisfied: anyError || bytes >= params.minBytes || bytes >= params.maxBytes };
  }
}

// The cluster's durable metadata as one broker knows it: cluster id, topics (ids, partition
// counts, config overrides). Kept in `<dataDir>/__cluster_metadata/` as small JSON files
// written atomically (temp file, fsync, rename), or only in memory.
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface TopicMetadata {
  name: string;
  /** 16-byte topic id, hex. */
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
}

interface StoredState {
  clusterId: string;
  topics: TopicMetadata[];
}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/;

/** Kafka's topic name rules; returns a reason or null. */
export function invalidTopicName(name: string): string | null {
  if (name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name cannot be '.' or '..'`;
  if (name.length > 249) return 'topic name is longer than 249 characters';
  if (!LEGAL_TOPIC.test(name)) return `topic name '${name}' has characters other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

/** Kafka's cluster id format: 16 random bytes, base64url without padding. */
function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

export function newTopicId(): string {
  return randomUUID().replaceAll('-', '');
}

export class MetadataStore {
  private readonly file: string | null;
  readonly clusterId: string;
  private readonly topics = new Map<string, TopicMetadata>();
  private readonly byId = new Map<string, TopicMetadata>();

  constructor(dataDir: string | null) {
    this.file = dataDir === null ? null : path.join(dataDir, '__cluster_metadata', 'topics.json');
    let state: StoredState | null = null;
    if (this.file && fs.existsSync(this.file)) {
      state = JSON.parse(fs.readFileSync(this.file, 'utf8')) as StoredState;
    }
    this.clusterId = state?.clusterId ?? newClusterId();
    for (const t of state?.topics ?? []) this.index(t);
    if (!state) this.persist();
  }

  private index(t: TopicMetadata): void {
    this.topics.set(t.name, t);
    this.byId.set(t.topicId, t);
  }

  get(name: string): TopicMetadata | undefined {
    return this.topics.get(name);
  }

  getById(topicIdHex: string): TopicMetadata | undefined {
    return this.byId.get(topicIdHex);
  }

  all(): TopicMetadata[] {
    return [...this.topics.values()];
  }

  createTopic(name: string, partitions: number, configs: Record<string, string>): TopicMetadata {
    const t: TopicMetadata = { name, topicId: newTopicId(), partitions, configs };
    this.index(t);
    this.persist();
    return t;
  }

  deleteTopic(name: string): TopicMetadata | undefined {
    const t = this.topics.get(name);
    if (!t) return undefined;
    this.topics.delete(name);
    this.byId.delete(t.topicId);
    this.persist();
    return t;
  }

  setPartitionCount(name: string, partitions: number): void {
    const t = this.topics.get(name)!;
    t.partitions = partitions;
    this.persist();
  }

  setConfigs(name: string, configs: Record<string, string>): void {
    const t = this.topics.get(name)!;
    t.configs = configs;
    this.persist();
  }

  private persist(): void {
    if (!this.file) return;
    const state: StoredState = { clusterId: this.clusterId, topics: this.all() };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(state, null, 1));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
  }
}

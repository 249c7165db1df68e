// Kafka's topic naming rules and topic ids (Kafka's org.apache.kafka.common.internals.Topic and
// Uuid), shared by the broker (auto-creation in Metadata) and the controller (CreateTopics).
import { randomUUID } from 'node:crypto';

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/;

/** Kafka's topic name rules; returns a reason or null. */
export function invalidTopicName(name: string): string | null {
  if (name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name cannot be '.' or '..'`;
  if (name.length > 249) return 'topic name is longer than 249 characters';
  if (!LEGAL_TOPIC.test(name)) return `topic name '${name}' has characters other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

/** A fresh 16-byte topic id, hex. */
export function newTopicId(): string {
  return randomUUID().replaceAll('-', '');
}

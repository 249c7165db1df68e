// PLAIN users from configuration, as Kafka's PlainLoginModule takes them from JAAS:
// `listener.name.<l>.plain.sasl.jaas.config` (or `sasl.jaas.config`) =
// `org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";`
// Each `user_<name>="<password>"` option is a user. minikafka also takes the shorter
// `sasl.plain.users=alice:alice-secret,bob:bob-secret` (listener-prefixable the same way).
import type { KafkaConfig } from '../common/KafkaConfig.js';
import { ConfigError } from '../common/KafkaConfig.js';
import { listenerConfig } from './Listeners.js';

/** The options of a JAAS configuration line (`Module flag k="v" k2=v2;`). */
export function jaasOptions(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const body = text.trim().replace(/;\s*$/, '');
  const m = /^\S+\s+(required|requisite|sufficient|optional)\b(.*)$/s.exec(body);
  if (!m) throw new ConfigError(`sasl.jaas.config: expected '<LoginModule> required key="value" …;', got '${text}'`);
  const opt = /([A-Za-z0-9_.-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^\s;]+)/g;
  for (const o of m[2]!.matchAll(opt)) out.set(o[1]!, o[3] !== undefined ? o[3].replace(/\\(.)/g, '$1') : o[2]!);
  return out;
}

/** PLAIN user → password for one listener. */
export function plainUsers(config: KafkaConfig, listener: string): Map<string, string> {
  const users = new Map<string, string>();
  const jaas = listenerConfig(config, listener, 'sasl.jaas.config', 'PLAIN');
  if (jaas) {
    for (const [k, v] of jaasOptions(jaas)) if (k.startsWith('user_')) users.set(k.slice(5), v);
  }
  const simple = listenerConfig(config, listener, 'sasl.plain.users', 'PLAIN');
  for (const entry of simple.split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new ConfigError(`sasl.plain.users: expected user:password, got '${entry}'`);
    users.set(entry.slice(0, colon), entry.slice(colon + 1));
  }
  return users;
}

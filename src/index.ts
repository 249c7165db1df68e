// minikafka's public API.
export { startCluster } from './cluster.js';
export type { Cluster, ClusterOptions, CreateTopicOptions } from './cluster.js';
export { Broker } from './server/Broker.js';
export type { BrokerOptions } from './server/Broker.js';
export type { FaultAction, FaultRule } from './network/FaultInjector.js';
export type { AclBinding } from './security/Acl.js';
export { ErrorCode } from './protocol/errors.js';
export * from './producer/index.js';
export type { NemesisOptions, NemesisReport } from './nemesis/index.js';
import type { NemesisOptions, NemesisReport } from './nemesis/index.js';

/** A seeded fault campaign against a fresh cluster (see src/nemesis); its modules load on the first call. */
export async function runNemesis(opts: NemesisOptions = {}): Promise<NemesisReport> {
  const nemesis = await import('./nemesis/index.js');
  return nemesis.runNemesis(opts);
}

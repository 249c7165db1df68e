// Entry point of a broker in its own process (startCluster({ processPerBroker: true }) and
// `minikafka --process-per-broker`): options as JSON in argv[2], control over the IPC channel.
import { createLogger } from './logger.js';
import { Broker, type BrokerOptions } from './server/Broker.js';
import { FaultInjector, type FaultRule } from './network/FaultInjector.js';
import { snapshotBroker, type BrokerSnapshot } from './http/BrokerSnapshot.js';

export type BrokerProcessOptions = Omit<BrokerOptions, 'faults' | 'canReach'>;

export type BrokerProcessCommand =
  | { type: 'stop' }
  | { type: 'fault-add'; id: number; rule: FaultRule }
  | { type: 'fault-remove'; id: number }
  | { type: 'fault-clear' }
  | { type: 'isolated'; ids: number[] }
  /** The broker's own state for the HTTP control plane, answered with 'described'. */
  | { type: 'describe'; requestId: number };

export type BrokerProcessEvent =
  | { type: 'ready'; port: number; listeners?: { name: string; port: number }[] }
  /** Start failed (e.g. code EADDRINUSE on port); the process exits 1 next. */
  | { type: 'failed'; message: string; code?: string; port?: number }
  | { type: 'described'; requestId: number; snapshot: BrokerSnapshot | null };

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2]!) as BrokerProcessOptions;
  const faults = new FaultInjector(createLogger('faults'));
  /** Parent-assigned fault ids → ours. */
  const faultIds = new Map<number, number>();
  let isolated = new Set<number>();
  const broker = new Broker({ ...opts, faults, canReach: (to) => !isolated.has(broker.nodeId) && !isolated.has(to) });
  let stopping = false;
  let started = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await broker.stop();
    process.exit(0);
  };
  process.on('message', (m: BrokerProcessCommand) => {
    switch (m.type) {
      case 'stop':
        void stop();
        break;
      case 'fault-add':
        // A rule naming another broker never matches here: not holding it lets the parent see
        // which rules are used up (BrokerSnapshot.activeFaults).
        if (m.rule.broker !== undefined && m.rule.broker !== broker.nodeId) break;
        // IPC carries JSON, which writes Infinity as null: a rule for every match arrives with times null.
        faultIds.set(m.id, faults.add(m.rule.times === null ? { ...m.rule, times: Infinity } : m.rule));
        break;
      case 'fault-remove':
        faults.remove(faultIds.get(m.id) ?? -1);
        break;
      case 'fault-clear':
        faults.clear();
        break;
      case 'isolated':
        isolated = new Set(m.ids);
        break;
      case 'describe': {
        let snapshot: BrokerSnapshot | null = null;
        try {
          if (started) {
            const held = new Set(faults.list().map((f) => f.id));
            snapshot = { ...snapshotBroker(broker), activeFaults: [...faultIds].filter(([, ours]) => held.has(ours)).map(([theirs]) => theirs) };
          }
        } catch (err) {
          createLogger('broker-process').warn(`state snapshot failed: ${(err as Error).message}`);
        }
        process.send?.({ type: 'described', requestId: m.requestId, snapshot } satisfies BrokerProcessEvent);
        break;
      }
    }
  });
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('disconnect', () => void stop()); // the parent is gone
  await broker.start();
  started = true;
  process.send?.({ type: 'ready', port: broker.port, listeners: broker.listeners.map((l) => ({ name: l.name, port: l.port })) } satisfies BrokerProcessEvent);
}

main().catch((err: Error & { code?: string; port?: number }) => {
  createLogger('broker-process').error(`fatal: ${err.stack ?? err.message}`);
  const event: BrokerProcessEvent = { type: 'failed', message: err.message, code: err.code, port: err.port };
  if (process.send) process.send(event, () => process.exit(1));
  else process.exit(1);
});

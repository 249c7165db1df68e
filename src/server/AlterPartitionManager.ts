// A leader's ISR proposals sent to the controller (Kafka's AlterPartitionManager). A transport
// failure says nothing about whether the controller applied a proposal, so the same proposal is
// sent again while it is still the partition's pending one; the answer is applied by the partition.
import type { Logger } from '../logger.js';
import { ErrorCode, errorName } from '../protocol/errors.js';
import type { BrokerToController } from '../replication/BrokerToController.js';
import { crashPoint, detach, guarded } from '../util/CrashBoundary.js';
import type { Time } from '../util/Time.js';
import type { IsrProposal, Partition } from './Partition.js';

const ISR_RETRY_MS = 200;

export interface AlterPartitionDeps {
  /** The channel to the controller (throws while the broker is not running). */
  controller(): BrokerToController;
  brokerEpoch(): number;
  running(): boolean;
  log: Logger;
  time: Time;
}

export class AlterPartitionManager {
  constructor(private readonly deps: AlterPartitionDeps) {}

  /** Send a partition's ISR proposal, again every ISR_RETRY_MS until it is answered or superseded. */
  submit(p: Partition, proposal: IsrProposal): void {
    const { log, time } = this.deps;
    log.info(`${p.name}: proposing ISR [${proposal.isr.join(',')}] (now [${p.isr.join(',')}])`);
    const send = (): void => {
      if (!this.deps.running() || p.pendingIsrChange !== proposal) return;
      const retry = () => {
        if (this.deps.running()) time.setTimeout(guarded(log, `${p.name}: AlterPartition retry`, send), ISR_RETRY_MS);
      };
      detach(
        log,
        `${p.name}: AlterPartition`,
        this.deps
          .controller()
          .alterPartition(p.topic, p.index, proposal.leaderEpoch, proposal.partitionEpoch, [...proposal.isr], this.deps.brokerEpoch())
          .then(
            (res) => {
              crashPoint('isr.answer');
              if (res.errorCode !== ErrorCode.NONE) log.info(`${p.name}: ISR change refused (${errorName(res.errorCode)})`);
              if (p.handleAlterPartitionResult(proposal, res)) retry();
            },
            (err: Error) => {
              log.debug(`${p.name}: ISR change failed: ${err.message}`);
              retry();
            },
          ),
        retry,
      );
    };
    send();
  }
}

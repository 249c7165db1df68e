// A broker's registration with the controller (Kafka's BrokerLifecycleManager): register (and
// register again when the controller no longer knows the registration), heartbeat with the
// offset of the published metadata, follow what the answers say about fencing, and ask for a
// controlled shutdown on a graceful stop.
import type { KafkaConfig } from '../common/KafkaConfig.js';
import type { Logger } from '../logger.js';
import { ErrorCode } from '../protocol/errors.js';
import type { BrokerToController } from '../replication/BrokerToController.js';
import { advertisedEndpoints, SECURITY_PROTOCOL_ID, type Endpoint } from '../security/Listeners.js';
import type { Time } from '../util/Time.js';

export interface BrokerLifecycleDeps {
  config: KafkaConfig;
  /** The broker's listeners (their bound ports once started). */
  listeners: Endpoint[];
  interBrokerListenerName: string;
  /** The advertised host the broker was given, if any. */
  advertisedHost: string | undefined;
  /** The channel to the controller (throws while the broker is not running). */
  controller(): BrokerToController;
  /** The offset of the published image, reported in every heartbeat. */
  metadataOffset(): number;
  running(): boolean;
  /** Aborted by the broker's stop(): cuts pauses short. */
  stopSignal(): AbortSignal;
  /** The controller fenced or unfenced this broker. */
  fencingChanged(): void;
  log: Logger;
  time: Time;
}

export class BrokerLifecycleManager {
  private epoch = -1;
  private isFenced = true;
  /** Cuts the heartbeat loop's pause short (see heartbeatNow). */
  private heartbeatWake: (() => void) | null = null;
  private heartbeatDue = false;

  constructor(private readonly deps: BrokerLifecycleDeps) {}

  /** The epoch of the last registration (-1 before the first). */
  get brokerEpoch(): number {
    return this.epoch;
  }

  get fenced(): boolean {
    return this.isFenced;
  }

  /** Register every advertised listener with the controller, retrying while the broker runs. */
  async register(): Promise<void> {
    const { config, listeners, interBrokerListenerName } = this.deps;
    const advertised = advertisedEndpoints(config, listeners, this.deps.advertisedHost);
    const inter = advertised.find((e) => e.name === interBrokerListenerName)!;
    const endpoints = advertised.map((e) => ({ name: e.name, host: e.host, port: e.port, securityProtocol: SECURITY_PROTOCOL_ID[e.securityProtocol] }));
    for (let attempt = 0; ; attempt++) {
      try {
        this.epoch = await this.deps.controller().register(inter.host, inter.port, '', endpoints);
        return;
      } catch (err) {
        if (!this.deps.running() || attempt > 100) throw err;
        await this.deps.time.sleep(100, this.deps.stopSignal());
      }
    }
  }

  /** Heartbeat until the broker stops: every broker.heartbeat.interval.ms, at most every 100 ms while fenced. */
  async heartbeatLoop(): Promise<void> {
    const { config, log } = this.deps;
    const interval = config.int('broker.heartbeat.interval.ms');
    while (this.deps.running()) {
      try {
        const res = await this.deps.controller().heartbeat(this.epoch, this.deps.metadataOffset(), false);
        if (!this.deps.running()) return;
        if (res.errorCode === ErrorCode.STALE_BROKER_EPOCH) {
          log.warn('the controller no longer knows this registration: registering again');
          await this.register();
          continue;
        }
        if (res.isFenced !== this.isFenced) {
          this.isFenced = res.isFenced;
          log.info(this.isFenced ? 'fenced by the controller' : 'unfenced by the controller');
          this.deps.fencingChanged();
        }
      } catch (err) {
        if (!this.deps.running()) return;
        log.debug(`heartbeat: ${(err as Error).message}`);
      }
      await this.heartbeatPause(this.isFenced ? Math.min(interval, 100) : interval);
    }
  }

  /**
   * The metadata up to `offset` was published. Caught up with our own registration while fenced:
   * heartbeat now, the controller unfences on it (as Kafka's BrokerLifecycleManager heartbeats at
   * once on catching up, not on its next tick).
   */
  metadataPublished(offset: number): void {
    if (this.isFenced && this.epoch >= 0 && offset > this.epoch) this.heartbeatNow();
  }

  /** Tell the controller this broker is shutting down (it moves the leaderships away); errors are ignored. */
  async controlledShutdown(): Promise<void> {
    if (this.epoch >= 0) await this.deps.controller().heartbeat(this.epoch, this.deps.metadataOffset(), true).catch(() => {});
  }

  /** The broker stopped: fenced until the controller says otherwise after the next start. */
  stopped(): void {
    this.isFenced = true;
  }

  /** Send the next heartbeat at once instead of after the pause. */
  private heartbeatNow(): void {
    this.heartbeatDue = true;
    this.heartbeatWake?.();
  }

  /** The pause between heartbeats, cut short by heartbeatNow() or the broker's stop(). */
  private async heartbeatPause(ms: number): Promise<void> {
    const stopSignal = this.deps.stopSignal();
    if (!this.heartbeatDue && !stopSignal.aborted) {
      const wake = new AbortController();
      const stop = () => wake.abort();
      this.heartbeatWake = stop;
      stopSignal.addEventListener('abort', stop, { once: true });
      await this.deps.time.sleep(ms, wake.signal);
      stopSignal.removeEventListener('abort', stop);
      this.heartbeatWake = null;
    }
    this.heartbeatDue = false;
  }
}

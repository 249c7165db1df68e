// A broker's client quota managers (Kafka's QuotaFactory.QuotaManagers): produce
// (producer_byte_rate), fetch (consumer_byte_rate), request (request_percentage) and
// controllerMutation (controller_mutation_rate), kept in step
// with the quotas of the broker's published metadata image, and the channel mute that enforces a
// throttle: the response goes out at once carrying throttle_time_ms, and the connection reads and
// dispatches nothing more until the throttle time has passed (KIP-219; Kafka mutes the channel
// the same way for every request version, so clients that do not back off themselves wait too).
import type { KafkaConfig } from '../../common/KafkaConfig.js';
import type { Connection } from '../../network/Connection.js';
import type { MetadataImage } from '../../replication/MetadataImage.js';
import type { Time } from '../../util/Time.js';
import type { Broker } from '../Broker.js';
import { ClientQuotaManager, MAX_THROTTLE_MS, type QuotaSensor } from './ClientQuotaManager.js';
import { ControllerMutationQuotaManager } from './ControllerMutationQuotaManager.js';
import type { RateConfig } from './Rate.js';

export class BrokerQuotas {
  readonly produce: ClientQuotaManager;
  readonly fetch: ClientQuotaManager;
  readonly request: ClientQuotaManager;
  readonly controllerMutation: ControllerMutationQuotaManager;
  /** The image offset the managers reflect. */
  private seenOffset = -1;

  constructor(
    private readonly image: MetadataImage,
    window: RateConfig,
    private readonly time: Time,
    controllerWindow: RateConfig = window,
  ) {
    this.produce = new ClientQuotaManager({ key: 'producer_byte_rate', window });
    this.fetch = new ClientQuotaManager({ key: 'consumer_byte_rate', window });
    this.request = new ClientQuotaManager({ key: 'request_percentage', window, maxThrottleMs: window.windowMs });
    this.controllerMutation = new ControllerMutationQuotaManager(controllerWindow);
  }

  now(): number {
    return this.time.now();
  }

  /** The sensor a request is held to by `manager`, or null (no quota applies: nothing to record). */
  sensor(manager: ClientQuotaManager, conn: Connection, clientId: string | null): QuotaSensor | null {
    if (this.image.offset !== this.seenOffset) this.sync();
    if (!manager.quotasEnabled) return null;
    return manager.sensorFor(conn.principal, clientId, this.time.now());
  }

  /** Mute `conn` for `ms` (Kafka's ClientQuotaManager.throttle with the SocketServer's channel mute). */
  throttle(conn: Connection, ms: number): void {
    if (ms <= 0 || conn.isClosed) return;
    conn.throttle();
    this.time.setTimeout(() => conn.unthrottle(), Math.min(ms, MAX_THROTTLE_MS)).unref();
  }

  private sync(): void {
    this.seenOffset = this.image.offset;
    const stored = [...this.image.clientQuotas.values()];
    this.produce.update(stored);
    this.fetch.update(stored);
    this.request.update(stored);
    this.controllerMutation.update(stored);
  }
}

/** The window every quota's rate is taken over, from quota.window.num and quota.window.size.seconds. */
export function quotaWindow(config: KafkaConfig): RateConfig {
  return { samples: config.int('quota.window.num'), windowMs: config.int('quota.window.size.seconds') * 1000 };
}

/** The controller mutation quota's bucket size, from controller.quota.window.num and controller.quota.window.size.seconds. */
export function controllerQuotaWindow(config: KafkaConfig): RateConfig {
  return { samples: config.int('controller.quota.window.num'), windowMs: config.int('controller.quota.window.size.seconds') * 1000 };
}

const byBroker = new WeakMap<Broker, BrokerQuotas>();

/** A broker's quota managers, made on first use (no Broker wiring needed). */
export function quotasOf(broker: Broker): BrokerQuotas {
  let q = byBroker.get(broker);
  if (!q) byBroker.set(broker, (q = new BrokerQuotas(broker.image, quotaWindow(broker.config), broker.time, controllerQuotaWindow(broker.config))));
  return q;
}

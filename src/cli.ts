// `npx minikafka`: one broker on 127.0.0.1:9092 with data in ./minikafka-data.
import { parseArgs } from 'node:util';
import { createLogger } from './logger.js';
import { Broker } from './server/Broker.js';
import { ConfigError, type Properties } from './server/KafkaConfig.js';

const HELP = `Usage: minikafka [options]

A Kafka broker in pure TypeScript.

Options:
  --port <n>            listener port (default 9092; 0 = any free port)
  --host <addr>         listener address (default 127.0.0.1)
  --data-dir <path>     where partition logs live (default ./minikafka-data)
  --in-memory           keep everything in memory, nothing on disk
  --config <key=value>  a Kafka broker property, repeatable
                        (e.g. --config num.partitions=3 --config log.retention.ms=60000)
  --help                show this help

Prints "minikafka ready bootstrap=HOST:PORT" on stdout once it accepts connections.
Logs go to stderr (MINIKAFKA_LOG=debug|info|warn|error).`;

const log = createLogger('cli');

function fail(message: string): never {
  process.stderr.write(`minikafka: ${message}\n\n${HELP}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        'in-memory': { type: 'boolean' },
        config: { type: 'string', multiple: true },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const port = values.port === undefined ? 9092 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid --port '${values.port}'`);
  const config: Properties = {};
  for (const kv of values.config ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) fail(`--config expects key=value, got '${kv}'`);
    config[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  let broker: Broker;
  try {
    broker = new Broker({
      host: values.host ?? '127.0.0.1',
      port,
      dataDir: values['data-dir'] ?? 'minikafka-data',
      inMemory: values['in-memory'] ?? false,
      config,
    });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  await broker.start();
  process.stdout.write(`minikafka ready bootstrap=${broker.advertisedHost}:${broker.port}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received, flushing and stopping`);
    broker.stop().then(
      () => process.exit(0),
      (err: Error) => {
        log.error(`shutdown failed: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: Error) => {
  log.error(`fatal: ${err.stack ?? err.message}`);
  process.exit(1);
});

// `npx minikafka`: a broker (or several) on 127.0.0.1:9092 with data in ./minikafka-data.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { startCluster, type Cluster } from './cluster.js';
import { createLogger, setLogLevel } from './logger.js';
import { ConfigError, KafkaConfig, type Properties } from './common/KafkaConfig.js';
import { CTL_HELP, runCtl } from './http/ctl.js';

const HELP = `Usage: minikafka [options]

A Kafka broker in pure TypeScript.

Options:
  --port <n>[,<n>…]     listener port of broker 1 (others use the next ports), or one per
                        broker (default 9092; 0 = any free port)
  --host <addr>         listener address (default 127.0.0.1)
  --advertised-host <h> host given to clients in Metadata (default: --host)
  --brokers <n>         number of brokers (default 1); topics default to replication
                        factor min(3, n)
  --node-ids <id>,<id>… the brokers' node ids, e.g. 0,1,2 (default 1..n; a single broker
                        also takes --config node.id=<id>)
  --controller-port <n> port of the controller listener brokers register with
                        (default 0 = any free port)
  --process-per-broker  run each broker in its own process
  --data-dir <path>     where logs live (default ./minikafka-data)
  --in-memory           keep everything in memory, nothing on disk
  --config <key=value>  a Kafka broker property, repeatable
                        (e.g. --config num.partitions=3 --config log.retention.ms=60000)
  --http-port <n>       serve the HTTP control plane and status page on this port of
                        --host (0 = any free port; off unless given)
  --listener <NAME://host:port>
                        a listener, repeatable (Kafka's listeners; replaces --port), e.g.
                        --listener PLAINTEXT://127.0.0.1:9092 --listener SASL_SSL://127.0.0.1:9094
                        (same as --config listeners=…; port 0 = any free port)
  --tls-dev             generate a throwaway CA and broker certificate (openssl CLI) in
                        <data dir>/tls-dev and serve TLS with them; adds an SSL listener on
                        a free port when no listener uses TLS
  --help                show this help

Prints "minikafka ready bootstrap=HOST:PORT[,HOST:PORT…]" on stdout once it accepts connections
(followed by " listeners=NAME://HOST:PORT,…" with several listeners, " tls-ca=PATH" with
--tls-dev and " http=HOST:PORT" with --http-port).
Logs go to stderr (MINIKAFKA_LOG=debug|info|warn|error).

minikafka nemesis [--seed N] [--duration 60s] [--brokers 3] [--acks all|1]
                  [--process-per-broker] [--json FILE] [--data-dir DIR]
  A seeded fault campaign against a fresh cluster: producers and a committing group under
  crashes, stops, isolation, pauses and dropped/delayed responses, then a check of the
  history. Exits 1 on any violation. The JSON report goes to nemesis-SEED.json by default;
  --data-dir keeps the cluster's logs for inspection (default: a temp dir, removed).

${CTL_HELP.replace(/^Usage: /, '')}`;

const log = createLogger('cli');

function fail(message: string): never {
  process.stderr.write(`minikafka: ${message}\n\n${HELP}\n`);
  process.exit(2);
}

/** parseArgs over `args` (strict); bad flags print the usage and exit 2. */
function parseFlags<const O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true as const }).values;
  } catch (err) {
    return fail((err as Error).message);
  }
}

async function nemesis(args: string[]): Promise<void> {
  // Loaded only for this subcommand: a plain broker's start does not pay for the nemesis and the producer.
  const { parseDuration, runNemesis } = await import('./nemesis/index.js');
  const values = parseFlags(args, {
        seed: { type: 'string' },
        duration: { type: 'string' },
        brokers: { type: 'string' },
        acks: { type: 'string' },
        'process-per-broker': { type: 'boolean' },
        json: { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) fail(`invalid --seed '${values.seed}'`);
  const durationMs = parseDuration(values.duration ?? '60s');
  if (!(durationMs >= 1000)) fail(`invalid --duration '${values.duration}' (e.g. 60s, 2m)`);
  const brokers = Number(values.brokers ?? 3);
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > 9) fail(`invalid --brokers '${values.brokers}'`);
  if (values.acks !== undefined && values.acks !== 'all' && values.acks !== '1') fail(`--acks must be all or 1`);
  if (!process.env.MINIKAFKA_LOG) {
    process.env.MINIKAFKA_LOG = 'error'; // broker child processes read it too
    setLogLevel('error');
  }
  const report = await runNemesis({
    seed,
    durationMs,
    brokers,
    acks: values.acks === '1' ? 1 : 'all',
    processPerBroker: values['process-per-broker'] ?? false,
    json: values.json ?? 'nemesis-{seed}.json',
    dataDir: values['data-dir'],
  });
  process.exit(report.ok ? 0 : 1);
}

async function main(): Promise<void> {
  if (process.argv[2] === 'nemesis') return nemesis(process.argv.slice(3));
  if (process.argv[2] === 'ctl') process.exit(await runCtl(process.argv.slice(3)));
  const values = parseFlags(process.argv.slice(2), {
        port: { type: 'string' },
        host: { type: 'string' },
        'advertised-host': { type: 'string' },
        brokers: { type: 'string' },
        'node-ids': { type: 'string' },
        'controller-port': { type: 'string' },
        'process-per-broker': { type: 'boolean' },
        'data-dir': { type: 'string' },
        'in-memory': { type: 'boolean' },
        config: { type: 'string', multiple: true },
        'http-port': { type: 'string' },
        listener: { type: 'string', multiple: true },
        'tls-dev': { type: 'boolean' },
        help: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const httpPort = values['http-port'] === undefined ? undefined : /^\d+$/.test(values['http-port']) ? Number(values['http-port']) : NaN;
  if (httpPort !== undefined && !(httpPort >= 0 && httpPort <= 65535)) fail(`invalid --http-port '${values['http-port']}'`);
  const nodeIds = values['node-ids'] === undefined ? undefined : values['node-ids'].split(',').map((id) => (/^\d+$/.test(id) ? Number(id) : NaN));
  if (nodeIds && (nodeIds.some((id) => !Number.isSafeInteger(id)) || new Set(nodeIds).size !== nodeIds.length)) {
    fail(`invalid --node-ids '${values['node-ids']}' (distinct non-negative integers, e.g. 0,1,2)`);
  }
  const brokers = values.brokers === undefined ? (nodeIds?.length ?? 1) : Number(values.brokers);
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > 100) fail(`invalid --brokers '${values.brokers}'`);
  if (nodeIds && nodeIds.length !== brokers) fail(`--node-ids lists ${nodeIds.length} ids for ${brokers} brokers`);
  const controllerPort = values['controller-port'] === undefined ? 0 : Number(values['controller-port']);
  if (!Number.isInteger(controllerPort) || controllerPort < 0 || controllerPort > 65535) fail(`invalid --controller-port '${values['controller-port']}'`);
  const ports = (values.port ?? '9092').split(',').map(Number);
  if (ports.some((p) => !Number.isInteger(p) || p < 0 || p > 65535)) fail(`invalid --port '${values.port}'`);
  if (ports.length !== 1 && ports.length !== brokers) fail(`--port lists ${ports.length} ports for ${brokers} brokers`);
  const config: Properties = {};
  for (const kv of values.config ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) fail(`--config expects key=value, got '${kv}'`);
    config[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  if (values.listener && values.listener.length > 0) {
    if (config['listeners'] !== undefined) fail('give listeners either with --listener or with --config listeners=…, not both');
    config['listeners'] = values.listener.join(',');
  }
  if ((config['node.id'] !== undefined || config['broker.id'] !== undefined) && (brokers > 1 || nodeIds)) {
    fail(`--config node.id names a single broker; give ${brokers} brokers their ids with --node-ids`);
  }
  try {
    new KafkaConfig(config);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  let cluster: Cluster;
  try {
    cluster = await startCluster({
      brokers,
      nodeIds,
      controllerPort,
      port: ports.length === 1 ? ports[0] : ports,
      host: values.host ?? '127.0.0.1',
      advertisedHost: values['advertised-host'],
      dataDir: values['in-memory'] ? undefined : (values['data-dir'] ?? 'minikafka-data'),
      inMemory: values['in-memory'] ?? false,
      processPerBroker: values['process-per-broker'] ?? false,
      config,
      httpPort,
      tlsDev: values['tls-dev'] ?? false,
    });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message); // a listener or TLS setting the brokers refused
    const e = err as Error & { code?: string; port?: number };
    if (e.code === 'EADDRINUSE') {
      const flag =
        e.port !== undefined && e.port === controllerPort && controllerPort !== 0 ? '--controller-port' : e.port !== undefined && e.port === httpPort && httpPort !== 0 ? '--http-port' : '--port';
      process.stderr.write(`minikafka: port ${e.port ?? '?'} is already in use (EADDRINUSE); choose another with ${flag} (0 picks a free port)\n`);
      process.exit(2);
    }
    throw err;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received, flushing and stopping`);
    cluster.close().then(
      () => process.exit(0),
      (err: Error) => {
        log.error(`shutdown failed: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Only now: a supervisor that signals as soon as it reads this line must find the handlers
  // installed (before, a SIGTERM right after the line killed the process unflushed).
  const listenerNames = cluster.listenerNames;
  const listeners = listenerNames.length > 1 ? ` listeners=${listenerNames.flatMap((n) => cluster.bootstrapFor(n).map((a) => `${n}://${a}`)).join(',')}` : '';
  if (cluster.tlsDev) {
    process.stderr.write(`minikafka --tls-dev: CA certificate ${cluster.tlsDev.caFile} (CA key ${cluster.tlsDev.caKeyFile}), broker keystore ${cluster.tlsDev.keystoreFile}\n`);
  }
  const tlsCa = cluster.tlsDev ? ` tls-ca=${cluster.tlsDev.caFile}` : '';
  process.stdout.write(`minikafka ready bootstrap=${cluster.bootstrapServers.join(',')}${listeners}${tlsCa}${cluster.httpAddress ? ` http=${cluster.httpAddress}` : ''}\n`);
}

main().catch((err: Error) => {
  log.error(`fatal: ${err.stack ?? err.message}`);
  process.exit(1);
});

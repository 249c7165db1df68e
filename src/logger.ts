// One line per notable event, on stderr (stdout is kept for the CLI's ready line).
// MINIKAFKA_LOG=debug|info|warn|error|silent selects the level; tests default to warn.
// Each scope is a named logger ("root" is the default for all); IncrementalAlterConfigs on a
// broker-logger resource sets one's level under log4j's names (TRACE … OFF), as Kafka's do.

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

function envLevel(): LogLevel {
  const v = process.env.MINIKAFKA_LOG as LogLevel | undefined;
  if (v && v in LEVELS) return v;
  return process.env.VITEST ? 'warn' : 'info';
}

let threshold: number = LEVELS[envLevel()];
/** Scopes with their own level (log4j name, threshold). */
const overrides = new Map<string, { name: string; threshold: number }>();
/** Every scope a logger was made for (the loggers DescribeConfigs lists). */
const scopes = new Set<string>();

export function setLogLevel(level: LogLevel): void {
  threshold = LEVELS[level];
}

/** log4j's level names and the threshold each maps to. */
export const LOG4J_LEVELS: Record<string, number> = {
  ALL: LEVELS.debug,
  TRACE: LEVELS.debug,
  DEBUG: LEVELS.debug,
  INFO: LEVELS.info,
  WARN: LEVELS.warn,
  ERROR: LEVELS.error,
  FATAL: LEVELS.error,
  OFF: LEVELS.silent,
};
const LOG4J_NAME: Record<number, string> = { 10: 'DEBUG', 20: 'INFO', 30: 'WARN', 40: 'ERROR', 100: 'OFF' };

export const ROOT_LOGGER = 'root';

/** Every logger and its level (log4j names): "root" and each scope. */
export function loggerLevels(): Record<string, string> {
  const out: Record<string, string> = { [ROOT_LOGGER]: LOG4J_NAME[threshold] ?? 'INFO' };
  for (const s of [...scopes].sort()) out[s] = overrides.get(s)?.name ?? out[ROOT_LOGGER]!;
  return out;
}

export function loggerExists(name: string): boolean {
  return name === ROOT_LOGGER || scopes.has(name);
}

/** Set a logger's level (a log4j name); null: back to the root logger's. */
export function setLoggerLevel(name: string, level: string | null): void {
  if (name === ROOT_LOGGER) {
    if (level !== null) threshold = LOG4J_LEVELS[level]!;
    return;
  }
  if (level === null) overrides.delete(name);
  else overrides.set(name, { name: level, threshold: LOG4J_LEVELS[level]! });
}

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  child(scope: string): Logger;
}

export function createLogger(scope: string): Logger {
  scopes.add(scope);
  const emit = (level: LogLevel, msg: string) => {
    if (LEVELS[level] < (overrides.get(scope)?.threshold ?? threshold)) return;
    process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} [${scope}] ${msg}\n`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    child: (s) => createLogger(`${scope}/${s}`),
  };
}

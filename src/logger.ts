// One line per notable event, on stderr (stdout is kept for the CLI's ready line).
// MINIKAFKA_LOG=debug|info|warn|error|silent selects the level; tests default to warn.

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

function envLevel(): LogLevel {
  const v = process.env.MINIKAFKA_LOG as LogLevel | undefined;
  if (v && v in LEVELS) return v;
  return process.env.VITEST ? 'warn' : 'info';
}

let threshold: number = LEVELS[envLevel()];

export function setLogLevel(level: LogLevel): void {
  threshold = LEVELS[level];
}

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  child(scope: string): Logger;
}

export function createLogger(scope: string): Logger {
  const emit = (level: LogLevel, msg: string) => {
    if (LEVELS[level] < threshold) return;
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

// The nemesis' public surface: runNemesis() and what it reports.
export { runNemesis, type NemesisOptions } from './runner.js';
export type { NemesisReport, AppliedEvent } from './report.js';
export type { CheckResult, Violation, ClientAnomaly } from './checker.js';
export type { FaultWindow, FaultKind } from './schedule.js';
export type { Driver, DriverContext } from './workload.js';

/** "60s", "2m", "1500ms" or a number of seconds, in ms; NaN when malformed. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}

// The nemesis' report: a table on stdout and the whole run as JSON (options, schedule, events
// as applied, statistics, violations and client-side anomalies).
import fs from 'node:fs';
import { countByKind, type CheckResult } from './checker.js';
import type { FaultWindow } from './schedule.js';

export interface AppliedEvent {
  /** Ms after the start of the run, when it was applied. */
  at: number;
  action: 'begin' | 'end';
  fault: FaultWindow;
  outcome: 'applied' | 'skipped' | 'failed';
  note?: string;
}

export interface PartitionState {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  highWatermark: number;
}

export interface NemesisReport {
  seed: number;
  durationMs: number;
  brokers: number;
  acks: 'all' | 1;
  processPerBroker: boolean;
  schedule: FaultWindow[];
  events: AppliedEvent[];
  check: CheckResult;
  /** Batches found identical on every replica below the high watermark. */
  replicaBatchesCompared: number;
  /** Ms from healing until every replica was back in the ISR; null when that did not happen in time. */
  healMs: number | null;
  /** Each partition's leader, replicas, ISR and high watermark when read back. */
  partitionStates: PartitionState[];
  /** Wall-clock ms of the whole run, healing and checking included. */
  elapsedMs: number;
  /** No broker violation (at acks=1 losses are reported, not failed). */
  ok: boolean;
}

export function formatReport(r: NemesisReport): string {
  const s = r.check.stats;
  const applied = r.events.filter((e) => e.outcome === 'applied' && e.action === 'begin');
  const rows: [string, string][] = [
    ['seed', String(r.seed)],
    ['brokers / acks', `${r.brokers} / ${r.acks}${r.processPerBroker ? ' (process per broker)' : ''}`],
    ['duration', `${(r.durationMs / 1000).toFixed(1)} s (run ${(r.elapsedMs / 1000).toFixed(1)} s)`],
    ['faults applied', `${applied.length} of ${r.schedule.length} (${Object.entries(countByKind(applied.map((e) => e.fault))).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'})`],
    ['records sent', String(s.sent)],
    ['acknowledged', String(s.acked)],
    ['failed / unresolved', `${s.failed} / ${s.pending}`],
    ['stored (read back)', String(s.stored)],
    ['consumed / commits', `${s.consumed} / ${s.commits}`],
    ['replica batches equal', String(r.replicaBatchesCompared)],
    ['ISR full again after', r.healMs === null ? 'NOT within the heal timeout' : `${(r.healMs / 1000).toFixed(1)} s`],
  ];
  if (r.acks === 1) rows.push(['lost at acks=1 (Kafka)', String(s.lostAtAcks1)], ['duplicated at acks=1', String(s.duplicatedAtAcks1)]);
  const anomalies = countByKind(r.check.clientAnomalies);
  rows.push(['client-side anomalies', Object.entries(anomalies).map(([k, n]) => `${k} ${n}`).join(', ') || '0']);
  const violations = countByKind(r.check.violations);
  rows.push(['BROKER VIOLATIONS', Object.entries(violations).map(([k, n]) => `${k} ${n}`).join(', ') || '0']);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  for (const v of r.check.violations.slice(0, 20)) lines.push(`  ! ${v.kind}${v.partition !== undefined ? ` p${v.partition}` : ''}: ${v.detail}`);
  if (r.check.violations.length > 20) lines.push(`  ! … ${r.check.violations.length - 20} more in the JSON report`);
  lines.push(r.ok ? '  result: OK' : '  result: FAILED');
  return lines.join('\n');
}

export function writeJsonReport(file: string, r: NemesisReport): void {
  fs.writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
}

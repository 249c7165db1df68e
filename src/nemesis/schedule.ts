// The nemesis' fault schedule: from a seed, a list of fault windows (a broker crashed, stopped,
// isolated, paused, or its Produce/Fetch responses dropped or delayed, from `start` to `end` ms
// into the run). Phase 1 (the first half) has at most one faulty broker at a time, phase 2 up
// to two. The schedule depends only on (seed, duration, brokers): the same seed, the same faults.
import { Prng } from './prng.js';

export type FaultKind = 'crash' | 'stop' | 'isolate' | 'pause' | 'drop' | 'delay';

export interface FaultWindow {
  id: number;
  kind: FaultKind;
  broker: number;
  /** Ms after the start of the run. */
  start: number;
  end: number;
  /** drop/delay: the API whose responses are hit. */
  api?: 'Produce' | 'Fetch';
  /** delay: how long each response is held. */
  ms?: number;
  /** drop: how many responses are dropped (at most) while the window lasts. */
  times?: number;
}

/** One timed step of the schedule: a fault begins or ends. */
export interface FaultEvent {
  at: number;
  action: 'begin' | 'end';
  fault: FaultWindow;
}

export interface ScheduleOptions {
  seed: number;
  durationMs: number;
  brokers: number;
}

const KINDS: readonly (readonly [FaultKind, number])[] = [
  ['crash', 3],
  ['stop', 2],
  ['isolate', 2],
  ['pause', 2],
  ['drop', 2],
  ['delay', 2],
];

/** The fault windows for a seed, ordered by start. */
export function generateSchedule(opts: ScheduleOptions): FaultWindow[] {
  const { seed, durationMs, brokers } = opts;
  const rng = new Prng(seed);
  const maxLen = Math.min(8000, Math.max(1000, durationMs / 10));
  const maxGap = Math.min(3000, Math.max(500, durationMs / 20));
  const phase2At = durationMs / 2;
  const windows: FaultWindow[] = [];
  let t = Math.min(2000, durationMs / 10);
  let id = 1;
  while (t < durationMs - 500) {
    const limit = t < phase2At ? 1 : Math.min(2, brokers);
    const active = windows.filter((w) => w.end > t);
    if (active.length >= limit) {
      t = Math.min(...active.map((w) => w.end)) + rng.int(100, maxGap);
      continue;
    }
    const busy = new Set(active.map((w) => w.broker));
    const free = Array.from({ length: brokers }, (_, i) => i + 1).filter((b) => !busy.has(b));
    const kind = rng.weighted(KINDS);
    const broker = rng.pick(free);
    const end = Math.min(durationMs, t + rng.int(500, maxLen));
    const w: FaultWindow = { id: id++, kind, broker, start: Math.round(t), end: Math.round(end) };
    if (kind === 'drop' || kind === 'delay') w.api = rng.pick(['Produce', 'Fetch'] as const);
    if (kind === 'delay') w.ms = rng.int(50, 1500);
    if (kind === 'drop') w.times = rng.int(1, 20);
    windows.push(w);
    t += rng.int(100, maxGap);
  }
  return windows;
}

/** The windows as begin/end events in time order (ends first at the same instant). */
export function scheduleEvents(windows: readonly FaultWindow[]): FaultEvent[] {
  const events: FaultEvent[] = [];
  for (const w of windows) {
    events.push({ at: w.start, action: 'begin', fault: w });
    events.push({ at: w.end, action: 'end', fault: w });
  }
  return events.sort((a, b) => a.at - b.at || (a.action === b.action ? a.fault.id - b.fault.id : a.action === 'end' ? -1 : 1));
}

/** The most brokers faulty at once in [from, to). */
export function maxConcurrentFaults(windows: readonly FaultWindow[], from: number, to: number): number {
  let max = 0;
  for (const e of scheduleEvents(windows)) {
    if (e.at >= to) break;
    const live = windows.filter((w) => w.start <= e.at && w.end > e.at && e.at >= from).length;
    max = Math.max(max, live);
  }
  return max;
}

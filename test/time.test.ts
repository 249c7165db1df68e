// The system clock's timers: a wait longer than Node's longest timer is clamped, not fired at once.
import { describe, expect, it } from 'vitest';
import { SYSTEM_TIME } from '../src/util/Time.js';

describe('SYSTEM_TIME', () => {
  it('a timer past 2^31-1 ms neither fires after 1 ms nor warns (TimeoutOverflowWarning)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    let fired = 0;
    const t = SYSTEM_TIME.setTimeout(() => fired++, 3_000_000_000);
    let slept = false;
    const ac = new AbortController();
    const sleeping = SYSTEM_TIME.sleep(3_000_000_000, ac.signal).then(() => (slept = true));
    try {
      await new Promise((r) => setTimeout(r, 30));
      expect(fired).toBe(0);
      expect(slept).toBe(false);
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      SYSTEM_TIME.clear(t);
      ac.abort();
      await sleeping;
      process.off('warning', onWarning);
    }
  });
});

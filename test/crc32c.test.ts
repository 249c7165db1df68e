import { describe, expect, it } from 'vitest';
import { crc32c, crc32cUpdate } from '../src/protocol/crc32c.js';

function reference(b: Uint8Array): number {
  let c = ~0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32c', () => {
  it('matches the standard test vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('agrees with a bitwise reference for all alignments and lengths', () => {
    const big = Buffer.alloc(3000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131 + 7) & 255;
    for (let s = 0; s < 9; s++) {
      for (const len of [0, 1, 3, 15, 16, 17, 63, 64, 65, 100, 255, 1000, 2000]) {
        expect(crc32c(big, s, s + len)).toBe(reference(big.subarray(s, s + len)));
        expect(crc32c(big.subarray(s, s + len))).toBe(reference(big.subarray(s, s + len)));
      }
    }
  });

  it('supports incremental updates', () => {
    const b = Buffer.from('The quick brown fox jumps over the lazy dog, again and again and again.');
    const whole = crc32c(b);
    for (const cut of [0, 1, 10, 40, b.length]) {
      expect(crc32cUpdate(crc32c(b, 0, cut), b, cut)).toBe(whole);
    }
  });

  it('rejects out-of-range arguments', () => {
    expect(() => crc32c(Buffer.alloc(4), 2, 8)).toThrow(RangeError);
  });
});

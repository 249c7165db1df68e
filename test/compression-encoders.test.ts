// The producer's encoders (src/protocol/compression: snappyCompress.ts, lz4Compress.ts, and
// zstd through node:zlib where the runtime has it): seeded random inputs — empty, tiny, the
// block and fragment boundaries, incompressible, highly repetitive, text-like, mixed, > 64 KiB —
// round trip through our own decoders AND through real decoders nobody here wrote (libsnappy,
// liblz4's frame decoder and libzstd via Debian's python3-snappy / python3-lz4 /
// python3-zstandard; skipped with a message when missing), and the framing is what Kafka's Java
// producer writes (xerial header and 32 KiB chunks; LZ4 FLG 0x60, BD 0x40, descriptor checksum,
// blocks of at most 64 KiB, stored blocks with the high bit, end mark).
// The seed is printed; rerun a failure with COMPRESSION_SEED=<seed>.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CODEC_GZIP,
  CODEC_LZ4,
  CODEC_NONE,
  CODEC_SNAPPY,
  CODEC_ZSTD,
  canCompress,
  compress,
  CompressionError,
  decompress,
  lz4Decompress,
  snappyCompressRaw,
  snappyDecompress,
  xxhash32,
  zstdDecompress,
} from '../src/protocol/compression/index.js';

const SEED = Number(process.env.COMPRESSION_SEED ?? Date.now() % 2 ** 31);
console.log(`compression-encoders seed: ${SEED} (rerun with COMPRESSION_SEED=${SEED})`);

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rnd = prng(SEED);
const int = (n: number) => Math.floor(rnd() * n);
const WORDS = ['kafka', 'record', 'batch', 'offset', 'partition', 'leader', ' ', '\n', '{"key":', '"value":', '0', '1', 'zz'];

type Kind = 'random' | 'zeros' | 'period' | 'text' | 'mixed';
const KINDS: Kind[] = ['random', 'zeros', 'period', 'text', 'mixed'];

function input(kind: Kind, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  if (kind === 'random') for (let i = 0; i < n; i++) b[i] = int(256);
  else if (kind === 'zeros') b.fill(int(256));
  else if (kind === 'period') {
    const p = 1 + int(40);
    for (let i = 0; i < n; i++) b[i] = i < p ? int(256) : b[i - p]!;
  } else if (kind === 'text') {
    let i = 0;
    while (i < n) i += b.write(WORDS[int(WORDS.length)]!, i);
  } else {
    // random stretches, copies of earlier stretches (near and far) and runs
    let i = 0;
    while (i < n) {
      const len = Math.min(n - i, 1 + int(rnd() < 0.1 ? 5000 : 100));
      const r = rnd();
      if (r < 0.3 || i < 8) for (let k = 0; k < len; k++) b[i + k] = int(256);
      else if (r < 0.8) {
        const from = int(i);
        for (let k = 0; k < len; k++) b[i + k] = b[from + k]!;
      } else b.fill(int(256), i, i + len);
      i += len;
    }
  }
  return b;
}

const BOUNDARIES = [0, 1, 3, 4, 5, 11, 12, 13, 15, 16, 17, 60, 61, 64, 65, 255, 256, 32767, 32768, 32769, 65535, 65536, 65537, 131072 + 13];
const cases: { kind: Kind; n: number }[] = [];
for (const n of BOUNDARIES) for (const kind of KINDS) cases.push({ kind, n });
for (let i = 0; i < 60; i++) cases.push({ kind: KINDS[int(KINDS.length)]!, n: Math.floor(Math.exp(rnd() * Math.log(400_000))) });
cases.push({ kind: 'mixed', n: 1 << 20 }, { kind: 'random', n: 300_000 }, { kind: 'zeros', n: 1 << 20 });
const inputs = cases.map((c) => ({ ...c, data: input(c.kind, c.n) }));

const CODECS = [CODEC_SNAPPY, CODEC_LZ4, ...(canCompress(CODEC_ZSTD) ? [CODEC_ZSTD] : [])];
if (!canCompress(CODEC_ZSTD)) console.warn(`zstd encoder cases skipped: node:zlib has no zstd on Node ${process.versions.node}`);

describe('round trips through our decoders', () => {
  it.each(CODECS)('codec %i: every seeded input decodes to itself', (codec) => {
    for (const { kind, n, data } of inputs) {
      const z = compress(codec, data);
      const back = decompress(codec, z, Math.max(n, 1));
      if (!back.equals(data)) throw new Error(`codec ${codec}, ${kind} input of ${n} bytes does not round trip (seed ${SEED})`);
      // node:zlib's zstd output also through the pure-TS decoder older Nodes use
      if (codec === CODEC_ZSTD && !zstdDecompress(z, Math.max(n, 1)).equals(data)) throw new Error(`zstd (pure-TS decoder), ${kind} ${n} (seed ${SEED})`);
    }
  });

  it('raw snappy blocks (no framing) round trip too', () => {
    for (const { kind, n, data } of inputs) {
      if (!snappyDecompress(snappyCompressRaw(data), Math.max(n, 1)).equals(data)) throw new Error(`raw snappy, ${kind} ${n} (seed ${SEED})`);
    }
  });

  it('repetitive input shrinks, incompressible input grows by little', () => {
    const zeros = Buffer.alloc(1 << 20);
    const noise = input('random', 1 << 20);
    expect(compress(CODEC_SNAPPY, zeros).length).toBeLessThan(zeros.length / 20);
    expect(compress(CODEC_LZ4, zeros).length).toBeLessThan(zeros.length / 200);
    expect(compress(CODEC_SNAPPY, noise).length).toBeLessThan(noise.length * 1.001 + 16 + 4 * 32);
    expect(compress(CODEC_LZ4, noise).length).toBe(7 + 16 * (4 + 65536) + 4); // every block stored as is
  });

  it('none and gzip through the same entry; an unknown codec is unsupported', () => {
    const data = input('text', 5000);
    expect(compress(CODEC_NONE, data)).toBe(data);
    expect(decompress(CODEC_GZIP, compress(CODEC_GZIP, data, { gzipLevel: 1 }), 5000).equals(data)).toBe(true);
    expect(() => compress(5, data)).toThrow(CompressionError);
  });

  it.runIf(!canCompress(CODEC_ZSTD))('zstd without node:zlib zstd is unsupported, naming the Node version needed', () => {
    expect(() => compress(CODEC_ZSTD, Buffer.from('x'))).toThrow(/Node >= 22\.15 or >= 23\.8/);
  });
});

describe('framing as Kafka writes it', () => {
  it("snappy: snappy-java's xerial header, then (int32 BE length, raw block) per 32 KiB of input", () => {
    const data = input('text', 100_000);
    const z = compress(CODEC_SNAPPY, data);
    expect(z.subarray(0, 16).toString('hex')).toBe('82534e41505059000000000100000001');
    let pos = 16;
    const sizes: number[] = [];
    while (pos < z.length) {
      const len = z.readInt32BE(pos);
      const block = snappyDecompress(z.subarray(pos + 4, pos + 4 + len), 1 << 20); // raw: no xerial magic
      sizes.push(block.length);
      pos += 4 + len;
    }
    expect(pos).toBe(z.length);
    expect(sizes).toEqual([32768, 32768, 32768, 100_000 - 3 * 32768]);
    expect(compress(CODEC_SNAPPY, Buffer.alloc(0)).length).toBe(16); // header only, as SnappyOutputStream closes
  });

  it("lz4: Lz4BlockOutputStream's frame — FLG 0x60, BD 0x40, descriptor checksum, 64 KiB blocks, end mark", () => {
    const data = Buffer.concat([input('text', 65536), input('random', 74_464)]);
    const z = compress(CODEC_LZ4, data);
    expect(z.readUInt32LE(0)).toBe(0x184d2204);
    expect([z[4], z[5]]).toEqual([0x60, 0x40]);
    expect(z[6]).toBe((xxhash32(z, 4, 6) >>> 8) & 0xff);
    let pos = 7;
    const blocks: { stored: boolean; out: number }[] = [];
    for (;;) {
      const word = z.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      blocks.push({ stored: word >= 0x80000000, out: lz4Decompress(Buffer.concat([z.subarray(0, 7), z.subarray(pos - 4, pos + size), Buffer.alloc(4)]), 1 << 20).length });
      pos += size;
    }
    expect(pos).toBe(z.length); // no content checksum after the end mark
    expect(blocks.map((b) => b.out)).toEqual([65536, 65536, 140_000 - 2 * 65536]);
    expect(blocks.map((b) => b.stored)).toEqual([false, true, true]);
    expect(compress(CODEC_LZ4, Buffer.alloc(0)).toString('hex')).toBe(`04224d186040${z[6]!.toString(16).padStart(2, '0')}00000000`);
  });
});

// ---------------------------------------------------------------------------------------------
// Real decoders: libsnappy (python3-snappy; the xerial framing is split here, each chunk is a
// raw block for libsnappy), liblz4's frame decoder (python3-lz4) and libzstd (python3-zstandard).

const PYTHON = '/usr/bin/python3';
const hasPyCodecs = spawnSync(PYTHON, ['-c', 'import snappy, lz4.frame, zstandard'], { stdio: 'ignore' }).status === 0;
if (!hasPyCodecs) console.warn('real-decoder checks skipped: apt-get install python3-snappy python3-lz4 python3-zstandard');

const DECODE_PY = `
import hashlib, json, struct, sys, snappy, lz4.frame, zstandard
data = sys.stdin.buffer.read()
pos, out = 0, []
def xerial(z):
    assert z[:16] == b'\\x82SNAPPY\\x00' + struct.pack('>ii', 1, 1), 'xerial header'
    p, parts = 16, []
    while p < len(z):
        (n,) = struct.unpack_from('>i', z, p)
        parts.append(snappy.uncompress(z[p + 4:p + 4 + n]))
        p += 4 + n
    return b''.join(parts)
while pos < len(data):
    codec, n = struct.unpack_from('>BI', data, pos)
    z = data[pos + 5:pos + 5 + n]
    pos += 5 + n
    if codec == 2: d = xerial(z)
    elif codec == 3: d = lz4.frame.decompress(z)
    else: d = zstandard.ZstdDecompressor().decompressobj().decompress(z)
    out.append(hashlib.sha256(d).hexdigest())
print(json.dumps(out))
`;

describe.runIf(hasPyCodecs)('round trips through real decoders', () => {
  it.each(CODECS)('codec %i: libsnappy / liblz4 / libzstd decode every seeded input to itself', (codec) => {
    const parts: Buffer[] = [];
    const want: string[] = [];
    for (const { data } of inputs) {
      const z = compress(codec, data);
      const head = Buffer.allocUnsafe(5);
      head.writeUInt8(codec, 0);
      head.writeUInt32BE(z.length, 1);
      parts.push(head, z);
      want.push(createHash('sha256').update(data).digest('hex'));
    }
    const r = spawnSync(PYTHON, ['-c', DECODE_PY], { input: Buffer.concat(parts), maxBuffer: 16 << 20 });
    if (r.status !== 0) throw new Error(`python3 (seed ${SEED}): ${r.stderr.toString()}`);
    const got = JSON.parse(r.stdout.toString()) as string[];
    for (let i = 0; i < inputs.length; i++) {
      if (got[i] !== want[i]) throw new Error(`codec ${codec}: ${inputs[i]!.kind} input of ${inputs[i]!.n} bytes decodes differently (seed ${SEED})`);
    }
    expect(got.length).toBe(inputs.length);
  });
});

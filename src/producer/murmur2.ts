// Kafka's Utils.murmur2 (MurmurHash2, seed 0x9747b28c) and Utils.toPositive: the hash the Java
// client's built-in partitioner uses for keyed records, so keys land on the same partitions.

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** murmur2 of bytes [start, end) as a signed 32-bit int, like Java's Utils.murmur2(byte[]). */
export function murmur2(data: Uint8Array, start = 0, end = data.length): number {
  const length = end - start;
  let h = (SEED ^ length) | 0;
  const tail = start + (length & ~3);
  let i = start;
  for (; i < tail; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const rem = length & 3;
  if (rem === 3) h ^= data[tail + 2]! << 16;
  if (rem >= 2) h ^= data[tail + 1]! << 8;
  if (rem >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Java's Utils.toPositive: clears the sign bit (not Math.abs). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition the Java client picks for a keyed record: toPositive(murmur2(key)) % numPartitions. */
export function partitionForKey(key: Uint8Array | string, numPartitions: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return toPositive(murmur2(bytes)) % numPartitions;
}

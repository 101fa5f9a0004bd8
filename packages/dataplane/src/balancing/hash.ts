/**
 * FNV-1a over UTF-16 code units, 32 bit, finished with murmur3's fmix32 so nearby keys
 * (user-1, user-2, 10.0.0.1, 10.0.0.2) land far apart. Fast and well spread; not for security.
 */
export function hash32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** murmur3's 32-bit finaliser: a cheap full avalanche, also used to rehash a hash. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

import { keyedStream } from '../rng/keyed.ts';
import { dropoutSites } from '../model/params.ts';

/**
 * Dropout keep-masks of one step: site s draws from stream `dropout/step N/<site>`, so a
 * step's masks are regenerated from (seed, step) alone. Element i is kept when its uint32 draw
 * is ≥ ⌊p·2^32⌋. Returns null when p is 0 (no dropout, no masks).
 */
export function dropoutMasks(seed: number, step: number, nLayers: number, elementsPerSite: number, p: number): Map<string, Uint8Array> | null {
  if (p === 0) return null;
  const threshold = Math.floor(p * 2 ** 32);
  const masks = new Map<string, Uint8Array>();
  for (const site of dropoutSites(nLayers)) {
    const r = keyedStream(seed, 'dropout', `step ${step}`, site);
    const keep = new Uint8Array(elementsPerSite);
    for (let i = 0; i < elementsPerSite; i++) keep[i] = r.uint32() >= threshold ? 1 : 0;
    masks.set(site, keep);
  }
  return masks;
}

/** Packs a 0/1 byte mask into bits, least significant bit first. */
export function packBits(keep: Uint8Array): Uint8Array {
  const out = new Uint8Array((keep.length + 7) >> 3);
  for (let i = 0; i < keep.length; i++) if (keep[i]) out[i >> 3] |= 1 << (i & 7);
  return out;
}

export function unpackBits(bits: Uint8Array, n: number): Uint8Array {
  if (bits.length !== (n + 7) >> 3) throw new RangeError(`packed mask of ${bits.length} bytes does not hold ${n} bits`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (bits[i >> 3] >> (i & 7)) & 1;
  return out;
}

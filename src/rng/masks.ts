import { keepMasks, keyedStream } from './keyed.ts';

/**
 * Dropout keep-masks of one step: site s draws from stream `dropout/step N/<site>`, so a
 * step's masks are regenerated from (seed, step) alone. The sites (in forward order) are the
 * model's: a log header records them. Element i is kept when its uint32 draw
 * is ≥ ⌊p·2^32⌋. Returns null when p is 0 (no dropout, no masks). `into` (site → buffer of
 * elementsPerSite bytes, from maskBuffers) is filled and returned instead of new arrays: the
 * trainer reuses one set for every step.
 */
export function dropoutMasks(seed: number, step: number, sites: readonly string[], elementsPerSite: number, p: number, into?: Map<string, Uint8Array>): Map<string, Uint8Array> | null {
  if (p === 0) return null;
  const threshold = Math.floor(p * 2 ** 32);
  const masks = into ?? maskBuffers(sites, elementsPerSite, (n) => new Uint8Array(n));
  const outs = sites.map((site) => {
    const keep = masks.get(site);
    if (!keep || keep.length !== elementsPerSite) throw new RangeError(`no ${elementsPerSite}-byte mask buffer for dropout site ${site}`);
    return keep;
  });
  keepMasks(sites.map((site) => keyedStream(seed, 'dropout', `step ${step}`, site)), outs, threshold);
  return masks;
}

/** One keep-mask buffer per dropout site, in site order, from `alloc` (a kernel set's allocBytes). */
export function maskBuffers(sites: readonly string[], elementsPerSite: number, alloc: (n: number) => Uint8Array): Map<string, Uint8Array> {
  return new Map(sites.map((site) => [site, alloc(elementsPerSite)]));
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

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dropoutMasks, maskBuffers } from '../../src/rng/masks.ts';
import { keyedStream } from '../../src/rng/keyed.ts';

describe('keyed streams', () => {
  it('keepMask makes the draws of uint32(), compared with a threshold, and the stream goes on after them', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(3000), fc.integer({ min: 0, max: 2 ** 32 }), (key, n, threshold) => {
        const a = keyedStream(1, 'test', key);
        const b = keyedStream(1, 'test', key);
        const mask = new Uint8Array(n);
        a.keepMask(mask, threshold);
        const expected = Uint8Array.from({ length: n }, () => (b.uint32() >= threshold ? 1 : 0));
        expect(Buffer.from(mask).equals(Buffer.from(expected))).toBe(true);
        expect([a.uint32(), a.uniform()]).toEqual([b.uint32(), b.uniform()]);
      }),
      { numRuns: 60 },
    );
  });

  it('dropout masks filled into reused buffers equal fresh ones, step after step', () => {
    const sites = ['emb', 'blocks.0.attn', 'blocks.0.mlp', 'blocks.1.attn', 'blocks.1.mlp', 'blocks.2.attn', 'blocks.2.mlp'];
    const buffers = maskBuffers(sites, 500, (n) => new Uint8Array(n));
    for (const step of [1, 2, 7]) {
      const fresh = dropoutMasks(5, step, sites, 500, 0.1)!;
      const reused = dropoutMasks(5, step, sites, 500, 0.1, buffers)!;
      expect(reused).toBe(buffers);
      expect([...reused.keys()]).toEqual([...fresh.keys()]);
      for (const [site, keep] of fresh) expect(Buffer.from(reused.get(site)!).equals(Buffer.from(keep)), site).toBe(true);
      // about 90% kept: a mask of all ones or all zeros would pass the comparison above too
      const kept = [...fresh.values()].reduce((s, k) => s + k.reduce((a, b) => a + b, 0), 0) / (fresh.size * 500);
      expect(kept).toBeGreaterThan(0.85);
      expect(kept).toBeLessThan(0.95);
    }
  });
});

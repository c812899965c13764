// rans.wat's encoder against the TypeScript loop it replaces: the same bytes and final states on
// random blocks of every size and skew (the format and every log's bytes depend on it).
import { describe, expect, it } from 'vitest';
import { encodeLoopJs, quantize, ransDecode, ransEncode } from '../../src/log/rans.ts';
import { keyedStream } from '../../src/rng/keyed.ts';

describe('rANS encoder in WebAssembly', () => {
  it('writes the same bytes as the TypeScript loop, and they decode', () => {
    let compared = 0;
    for (let trial = 0; trial < 600; trial++) {
      const r = keyedStream(trial, 'test/rans-wasm');
      const n = 1 + r.int(trial % 20 === 0 ? 100_000 : 3000);
      const k = 1 + r.int(256);
      const skew = r.uniform();
      const src = Uint8Array.from({ length: n }, () => (r.uniform() < skew ? r.int(Math.max(1, k >> 3)) : r.int(k)));
      const enc = ransEncode(src);
      expect(Buffer.from(ransDecode(enc, n)).equals(Buffer.from(src))).toBe(true);
      if (enc[0] !== 1) continue; // stored or one repeated byte: no loop ran
      const counts = new Uint32Array(256);
      for (const b of src) counts[b]++;
      const freq = quantize(counts, n);
      const cum = new Uint32Array(257);
      for (let s = 0; s < 256; s++) cum[s + 1] = cum[s] + freq[s];
      const js = encodeLoopJs(src, freq, cum)!;
      const dv = new DataView(enc.buffer, enc.byteOffset, enc.byteLength);
      const o = enc.length - js.body.length - 8;
      expect(Buffer.from(enc.subarray(o + 8)).equals(Buffer.from(js.body)), `trial ${trial}`).toBe(true);
      expect([dv.getUint32(o, true), dv.getUint32(o + 4, true)]).toEqual([js.x0 >>> 0, js.x1 >>> 0]);
      compared++;
    }
    expect(compared).toBeGreaterThan(300);
  });
});

// rans.wat's loops against the TypeScript loops they replace: the encoder's bytes and final states
// on random blocks of every size and skew (the format and every log's bytes depend on it); the
// decoder's bytes, and its errors on damaged blocks.
import { describe, expect, it } from 'vitest';
import { RansError } from '../../src/errors.ts';
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
      expect(Buffer.from(enc).equals(Buffer.from(ransEncode(src, 'js'))), `trial ${trial}`).toBe(true);
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

  it('decodes as the TypeScript loop does, and fails where it fails, with the same error', () => {
    const outcome = (f: () => Uint8Array) => {
      try {
        return Buffer.from(f()).toString('hex');
      } catch (e) {
        if (!(e instanceof RansError)) throw e;
        return `error: ${e.message}`;
      }
    };
    const seen = { ok: 0, error: 0 };
    for (let trial = 0; trial < 400; trial++) {
      const r = keyedStream(trial, 'test/rans-wasm-decode');
      const n = 1 + r.int(trial % 20 === 0 ? 50_000 : 2000);
      const k = 1 + r.int(256);
      const src = Uint8Array.from({ length: n }, () => (r.uniform() < 0.7 ? r.int(Math.max(1, k >> 3)) : r.int(k)));
      const enc = ransEncode(src);
      if (enc[0] !== 1) continue;
      expect(Buffer.from(ransDecode(enc, n)).equals(Buffer.from(src))).toBe(true);
      // damaged: a flipped byte in the stream or the states, a truncated or a lengthened stream
      const damaged = enc.slice();
      const what = r.int(3);
      const block = what === 0 ? (damaged[enc.length - 1 - r.int(Math.min(enc.length - 41, 64))] ^= 1 + r.int(255), damaged)
        : what === 1 ? damaged.subarray(0, enc.length - 1 - r.int(4)) : Uint8Array.from([...damaged, r.int(256)]);
      const wasm = outcome(() => ransDecode(block, n));
      expect(wasm, `trial ${trial}`).toBe(outcome(() => ransDecode(block, n, 'js')));
      seen[wasm.startsWith('error') ? 'error' : 'ok']++;
    }
    // both outcomes occur: a flipped byte can still decode (to other bytes), the others fail
    expect(seen.error).toBeGreaterThan(50);
    expect(seen.ok).toBeGreaterThan(0);
  });
});

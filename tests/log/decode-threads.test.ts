import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CodecError } from '../../src/errors.ts';
import { decodeFloats, decodeFloatsLater, encodeFloats } from '../../src/log/codec.ts';
import { useThreads } from '../../src/kernels/registry.ts';
import { ransModule } from '../../src/log/rans.ts';
import { arraysSplit } from '../../src/log/decode-threads.ts';

// An array's segments decoded on several threads at once (decode-threads.ts) against the
// TypeScript loops on one: the same values, and for damaged blocks the same error, word for word.

afterAll(() => useThreads(1));

const hex = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
const outcome = (f: () => Float32Array) => {
  try {
    return hex(f());
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    return `error: ${e.message}`;
  }
};
const decoded = (buf: Uint8Array, n: number, ref: Float32Array | null, direction: 1 | -1, loops: 'fast' | 'js') => () => {
  const out = new Float32Array(n);
  decodeFloats(buf, out, ref, direction, loops);
  return out;
};

/** Arrays that move a little from step to step, with specials, cut into 2–7 segments; a damage kind. */
const cases = fc.integer({ min: 2, max: 6000 }).chain((n) => fc.tuple(
  fc.array(fc.oneof(fc.float({ noDefaultInfinity: false }), fc.float({ min: Math.fround(-1e-3), max: Math.fround(1e-3), noNaN: true })), { minLength: n, maxLength: n }),
  fc.array(fc.float({ min: Math.fround(-1e-6), max: Math.fround(1e-6), noNaN: true }), { minLength: n, maxLength: n }),
  fc.uniqueArray(fc.integer({ min: 1, max: n - 1 }), { minLength: 1, maxLength: 6 }),
  fc.nat(3),
  fc.nat(),
));

describe('decoding split across threads by segment', () => {
  for (const threads of [2, 3]) {
    it(`${threads} threads: the one-thread values, forwards and backwards, and its errors for damaged blocks`, () => {
      fc.assert(fc.property(cases, ([values, steps, cuts, damage, at]) => {
        const n = values.length;
        const prev = Float32Array.from(values);
        const cur = prev.map((x, i) => x + steps[i]);
        const ends = [...cuts.sort((a, b) => a - b), n];
        for (const p of [null, prev]) {
          const enc = encodeFloats(cur, p, ends);
          useThreads(threads);
          const before = arraysSplit();
          expect(outcome(decoded(enc, n, p, 1, 'fast'))).toBe(hex(cur));
          expect(arraysSplit()).toBe(before + 1); // the threads decoded it, not the fallback
          if (p) expect(outcome(decoded(enc, n, cur, -1, 'fast'))).toBe(hex(prev));
          // damaged: cut short, a byte too many, a byte flipped anywhere, or one in the last block (a rANS stream, most often)
          const flip = (i: number) => enc.map((x, j) => (j === i ? x ^ (1 << (at % 8)) : x));
          const bad = damage === 0 ? enc.subarray(0, enc.length - 1 - (at % 4)) : damage === 1 ? Uint8Array.from([...enc, 0]) : damage === 2 ? flip(at % enc.length) : flip(enc.length - 1 - (at % Math.min(enc.length, 64)));
          const split = outcome(decoded(bad, n, p, 1, 'fast'));
          useThreads(1);
          expect(split).toBe(outcome(decoded(bad, n, p, 1, 'js')));
        }
      }), { numRuns: 120 });
    });
  }

  it('a large array (the memory grows, and the threads start again on it) decodes as on one thread', () => {
    const n = 700_000;
    const prev = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.1);
    const cur = prev.map((x, i) => x + Math.cos(i) * 1e-5);
    const ends = [16384, 200_000, 200_001, 512_000, n];
    const enc = encodeFloats(cur, prev, ends);
    useThreads(2);
    const before = arraysSplit();
    expect(hex(decoded(enc, n, prev, 1, 'fast')())).toBe(hex(cur));
    expect(hex(decoded(enc, n, cur, -1, 'fast')())).toBe(hex(prev));
    expect(arraysSplit()).toBe(before + 2);
    useThreads(1);
  });

  it('decodeFloatsLater: the array by the time its function returns, the codec refused meanwhile, structure errors at once and stream errors at the end', () => {
    useThreads(2);
    try {
      const n = 40_000;
      const cur = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
      const enc = encodeFloats(cur, null, [10_000, 20_000, n]);
      const out = new Float32Array(n);
      const finish = decodeFloatsLater(enc, out, null);
      expect(() => encodeFloats(cur, null)).toThrow(/in use/);
      finish();
      expect(hex(out)).toBe(hex(cur));
      // the codec is free again
      expect(hex(decoded(enc, n, null, 1, 'fast')())).toBe(hex(cur));
      expect(() => decodeFloatsLater(enc.subarray(0, 20), out, null)).toThrow(CodecError);
      // a flipped byte in the last block's stream: the error comes from the function, and the codec is free after it
      const bad = enc.map((x, i) => (i === enc.length - 5 ? x ^ 0x40 : x));
      const expected = outcome(decoded(bad, n, null, 1, 'js'));
      expect(expected).toMatch(/^error: plane 3/);
      const later = decodeFloatsLater(bad, out, null);
      expect(outcome(() => (later(), out))).toBe(expected);
      expect(ransModule()!.held).toBe(false);
    } finally {
      useThreads(1);
    }
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../src/errors.ts';
import { decodeBytes, decodeFloats, encodeBytes, encodeFloats } from '../../src/log/codec.ts';
import { quantize, ransDecode, ransEncode } from '../../src/log/rans.ts';

/** Arrays of arbitrary bit patterns: NaN payloads, ±0, subnormals and ±Inf all appear. */
const bits32 = (n: number) => fc.array(fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00001, 0x00000001, 0x807fffff)), { minLength: n, maxLength: n });
const sameBits = (a: ArrayBufferView, b: ArrayBufferView) =>
  expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(true);

describe('rANS byte coder', () => {
  it('round-trips any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 5000 }), (a) => { sameBits(ransDecode(ransEncode(a), a.length), a); }), { numRuns: 300 });
  });
  it('round-trips skewed bytes and compresses them', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(0, 0, 0, 0, 0, 0, 1, 2, 255), { minLength: 1000, maxLength: 4000 }), (xs) => {
      const a = Uint8Array.from(xs);
      const e = ransEncode(a);
      sameBits(ransDecode(e, a.length), a);
      expect(e.length).toBeLessThan(a.length / 2);
    }), { numRuns: 100 });
  });
});

/** quantize's rounding settled one unit at a time, as it was first written: the oracle of its shortcut. */
function quantizeOneByOne(counts: Uint32Array, n: number): Uint16Array {
  const freq = new Uint16Array(256);
  let sum = 0;
  for (let s = 0; s < 256; s++) {
    if (counts[s] === 0) continue;
    freq[s] = Math.max(1, Math.floor((counts[s] * 16384) / n));
    sum += freq[s];
  }
  while (sum !== 16384) {
    let best = -1;
    for (let s = 0; s < 256; s++) {
      if (freq[s] === 0 || (sum > 16384 && freq[s] <= 1)) continue;
      if (best < 0 || freq[s] > freq[best]) best = s;
    }
    freq[best] += sum > 16384 ? -1 : 1;
    sum += sum > 16384 ? -1 : 1;
  }
  return freq;
}

describe('rANS frequency tables', () => {
  it('quantize settles its rounding as one unit at a time would (the tables, and so the bytes, are unchanged)', () => {
    // counts of every shape: few symbols, all 256 near-uniform (rounding short by up to 255), many rare ones (over)
    const counts = fc.oneof(
      fc.array(fc.nat(5000), { minLength: 256, maxLength: 256 }),
      fc.array(fc.constantFrom(0, 1, 2, 3, 100000), { minLength: 256, maxLength: 256 }),
      fc.array(fc.integer({ min: 60, max: 70 }), { minLength: 256, maxLength: 256 }),
    ).filter((c) => c.some((x) => x > 0));
    fc.assert(fc.property(counts, (c) => {
      const a = Uint32Array.from(c);
      const n = c.reduce((x, y) => x + y, 0);
      expect([...quantize(a, n)]).toEqual([...quantizeOneByOne(a, n)]);
    }), { numRuns: 400 });
  });
});

describe('float array codec is bit-exact', () => {
  it('float32, plain and as a difference from the previous array, forwards and backwards', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 300 }).chain((n) => fc.tuple(bits32(n), bits32(n))), ([a, b]) => {
      const cur = new Float32Array(Uint32Array.from(a).buffer);
      const prev = new Float32Array(Uint32Array.from(b).buffer);
      const out = new Float32Array(cur.length);
      decodeFloats(encodeFloats(cur, null), out, null);
      sameBits(out, cur);
      const delta = encodeFloats(cur, prev);
      decodeFloats(delta, out, prev, 1);
      sameBits(out, cur);
      decodeFloats(delta, out, cur, -1);
      sameBits(out, prev);
    }), { numRuns: 300 });
  });

  it('float64 with XOR against the previous array', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 100 }).chain((n) => fc.tuple(bits32(2 * n), bits32(2 * n))), ([a, b]) => {
      const cur = new Float64Array(Uint32Array.from(a).buffer);
      const prev = new Float64Array(Uint32Array.from(b).buffer);
      const out = new Float64Array(cur.length);
      decodeFloats(encodeFloats(cur, prev), out, prev, 1);
      sameBits(out, cur);
      decodeFloats(encodeFloats(cur, prev), out, cur, -1);
      sameBits(out, prev);
      decodeFloats(encodeFloats(cur, null), out, null);
      sameBits(out, cur);
    }), { numRuns: 200 });
  });

  it('subarray views encode their own elements only', () => {
    const big = Float32Array.from({ length: 100 }, (_, i) => i * 0.5 - 7);
    const view = big.subarray(10, 30);
    const out = new Float32Array(20);
    decodeFloats(encodeFloats(view, null), out, null);
    sameBits(out, view);
  });

  it('float32 in WebAssembly: the TypeScript loops’ bytes, values and errors, segments and views included', () => {
    // values that move a little from step to step (as Adam's do), with specials, in segments
    const arrays = fc.integer({ min: 0, max: 3000 }).chain((n) => fc.tuple(
      fc.array(fc.oneof(fc.float({ noDefaultInfinity: false }), fc.float({ min: Math.fround(-1e-3), max: Math.fround(1e-3), noNaN: true })), { minLength: n, maxLength: n }),
      fc.array(fc.float({ min: Math.fround(-1e-6), max: Math.fround(1e-6), noNaN: true }), { minLength: n, maxLength: n }),
      fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, n - 1) }), { maxLength: 4 }),
      fc.nat(4),
    ));
    const outcome = (f: () => Float32Array) => {
      try {
        return Buffer.from(f().buffer).toString('hex');
      } catch (e) {
        if (!(e instanceof CodecError)) throw e;
        return `error: ${e.message}`;
      }
    };
    fc.assert(fc.property(arrays, ([values, steps, cuts, damage]) => {
      const n = values.length;
      const prev = Float32Array.from(values);
      const cur = prev.map((x, i) => x + steps[i]);
      const ends = [...cuts.filter((c) => c < n).sort((a, b) => a - b), n];
      for (const [c, p] of [[cur, null], [cur, prev], [cur.subarray(n >> 1), prev.subarray(n >> 1)]] as const) {
        const e = c === cur ? ends : [c.length];
        const fast = encodeFloats(c, p, e);
        expect(Buffer.from(fast).equals(Buffer.from(encodeFloats(c, p, e, 'js')))).toBe(true);
        const decode = (buf: Uint8Array, loops: 'fast' | 'js', ref: Float32Array | null, direction: 1 | -1) => () => {
          const out = new Float32Array(c.length);
          decodeFloats(buf, out, ref, direction, loops);
          return out;
        };
        expect(outcome(decode(fast, 'fast', p, 1))).toBe(Buffer.from(c.slice().buffer).toString('hex'));
        if (p) expect(outcome(decode(fast, 'fast', c, -1))).toBe(Buffer.from(p.slice().buffer).toString('hex'));
        // damaged: a byte flipped, the block cut short, or a byte too many
        const bad = damage === 0 ? fast.subarray(0, fast.length - 1) : damage === 1 ? Uint8Array.from([...fast, 0]) : fast.map((x, i) => (i === (damage * 7919) % fast.length ? x ^ 0x10 : x));
        expect(outcome(decode(bad, 'fast', p, 1))).toBe(outcome(decode(bad, 'js', p, 1)));
      }
    }), { numRuns: 150 });
  });

  it('bytes (packed masks) round-trip', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (a) => { sameBits(decodeBytes(encodeBytes(a), a.length), a); }));
  });

  it('a corrupted block fails with an error, never a wrong array silently of the wrong size', () => {
    const cur = Float32Array.from({ length: 500 }, (_, i) => Math.sin(i));
    const enc = encodeFloats(cur, null);
    const out = new Float32Array(500);
    expect(() => decodeFloats(enc.subarray(0, enc.length - 3), out, null)).toThrow();
    expect(() => decodeFloats(enc, new Float32Array(499), null)).toThrow(/expected 499/);
  });
});

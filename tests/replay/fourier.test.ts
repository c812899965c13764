import { describe, expect, it } from 'vitest';
import { fourierSpectrum } from '../../src/replay/fourier.ts';
import { UsageError } from '../../src/errors.ts';
import { keyedStream } from '../../src/rng/keyed.ts';

/** A p × d embedding whose column i is column(i, x) at row x (built with Math.cos: it is only input). */
function embedding(p: number, d: number, column: (i: number, x: number) => number): Float64Array {
  const e = new Float64Array(p * d);
  for (let x = 0; x < p; x++) for (let i = 0; i < d; i++) e[x * d + i] = column(i, x);
  return e;
}
const turn = (k: number, x: number, p: number) => (2 * Math.PI * k * x) / p;

describe('fourierSpectrum on hand-built embeddings with known frequencies', () => {
  // p 31, d 8: k = 3 in dimensions 0–2 (cos, sin, and a phase-shifted cos), k = 7 in 3–4, a
  // constant in 5, nothing in 6–7. A dimension A·cos(2πkx/p + φ) has squared norm A²·p/2 over
  // the p residues, all of it on frequency k whatever φ; a constant c has c²·p, all on the constant.
  const p = 31;
  const d = 8;
  const [a0, a1, a2, a3, a4, c] = [1.5, -0.75, 0.5, 0.9, 0.4, 0.3];
  const e = embedding(p, d, (i, x) => [
    a0 * Math.cos(turn(3, x, p)),
    a1 * Math.sin(turn(3, x, p)),
    a2 * Math.cos(turn(3, x, p) + 1.1),
    a3 * Math.cos(turn(7, x, p)),
    a4 * Math.sin(turn(7, x, p)),
    c,
    0,
    0,
  ][i]);
  const e3 = ((a0 * a0 + a1 * a1 + a2 * a2) * p) / 2;
  const e7 = ((a3 * a3 + a4 * a4) * p) / 2;

  it('exactly frequencies 3 and 7, with the amplitudes’ energies (relative error ≤ 1e-13: sums of 31 rounded products), and the constant’s', () => {
    const s = fourierSpectrum(e, p, d, 2);
    expect(s.energies).toHaveLength(15);
    expect(s.keyFrequencies).toEqual([3, 7]);
    expect(Math.abs(s.energies[2] / e3 - 1)).toBeLessThan(1e-13);
    expect(Math.abs(s.energies[6] / e7 - 1)).toBeLessThan(1e-13);
    expect(Math.abs(s.constant / (c * c * p) - 1)).toBeLessThan(1e-13);
    // every other frequency holds only rounding: coefficients ≲ 1e-15, squared
    s.energies.forEach((x, i) => i !== 2 && i !== 6 && expect(x, `k ${i + 1}`).toBeLessThan(1e-26));
    expect(Math.abs(s.total / (e3 + e7) - 1)).toBeLessThan(1e-13);
    expect(Math.abs(s.concentration - 1)).toBeLessThan(1e-13); // top 2: all of it
    // top 1 holds k = 3's share; top 5 all of it, the three after 3 and 7 by rounding noise only
    expect(Math.abs(fourierSpectrum(e, p, d, 1).concentration - e3 / (e3 + e7))).toBeLessThan(1e-13);
    expect(fourierSpectrum(e, p, d, 5).keyFrequencies.slice(0, 2)).toEqual([3, 7]);
  });

  it('Parseval: the constant and the frequencies add up to the squared Frobenius norm', () => {
    const s = fourierSpectrum(e, p, d);
    let norm2 = 0;
    for (const v of e) norm2 += v * v;
    expect(Math.abs((s.constant + s.total) / norm2 - 1)).toBeLessThan(1e-13);
  });

  it('an even p: the half turn k = p/2, (−1)^x, has one basis vector (no sine), energy A²·p', () => {
    const s = fourierSpectrum(embedding(8, 2, (i, x) => (i === 0 ? 2 * (x % 2 === 0 ? 1 : -1) : Math.sin(turn(1, x, 8)))), 8, 2, 2);
    expect(s.energies).toHaveLength(4);
    expect(s.keyFrequencies).toEqual([4, 1]);
    expect(Math.abs(s.energies[3] / (4 * 8) - 1)).toBeLessThan(1e-13);
    expect(Math.abs(s.energies[0] / 4 - 1)).toBeLessThan(1e-13); // sin with amplitude 1: p/2
  });

  it('only the first p rows are read (the operator, = and padding tokens follow them)', () => {
    const more = new Float64Array(e.length + 3 * d).fill(7);
    more.set(e);
    expect(fourierSpectrum(more, p, d, 2)).toEqual(fourierSpectrum(e, p, d, 2));
  });
});

describe('fourierSpectrum on a random embedding', () => {
  it('spreads evenly: the top 5 of 15 frequencies hold near 2K/(p−1) = 1/3 of the energy, not most of it', () => {
    const r = keyedStream(1, 'test/fourier');
    const p = 31;
    const d = 128;
    const s = fourierSpectrum(embedding(p, d, () => r.normal()), p, d, 5);
    // each frequency's energy is a sum of 2d squared normals: within ~10% of the others, so the
    // top 5 hold a little over 5/15 (the largest of 15 such sums), far from a concentrated one's ~1
    expect(s.concentration).toBeGreaterThan(1 / 3);
    expect(s.concentration).toBeLessThan(0.4);
    expect(new Set(s.keyFrequencies).size).toBe(5);
    const mean = s.total / 15;
    for (const x of s.energies) expect(Math.abs(x / mean - 1)).toBeLessThan(0.35);
  });

  it('bad arguments: --top outside 1…⌊p/2⌋ is a usage error naming the range; a short embedding a RangeError', () => {
    const e = new Float64Array(31 * 2);
    expect(() => fourierSpectrum(e, 31, 2, 16)).toThrow(UsageError);
    expect(() => fourierSpectrum(e, 31, 2, 16)).toThrow(/--top 16: Z_31 has frequencies 1…15, expected a whole number in 1…15/);
    expect(() => fourierSpectrum(e, 31, 2, 0)).toThrow(UsageError);
    expect(() => fourierSpectrum(e, 31, 3)).toThrow(RangeError);
    // no energy at all: no frequency holds a share
    expect(fourierSpectrum(e, 31, 2).concentration).toBe(0);
  });
});

import { UsageError } from '../errors.ts';
import { describeData } from '../data/registry.ts';
import { cosSinTurns } from '../math/elementary.ts';
import type { LogReader } from '../log/reader.ts';
import type { FloatArray } from '../kernels/types.ts';
import { stateAt } from './state.ts';
import { StateWalker } from './walk.ts';

/** The tensor whose rows 0…p−1 embed the residues (the modular task's token id = the number). */
export const FOURIER_TENSOR = 'tok_emb.weight';
/** Frequencies whose share `concentration` reports, unless told: Nanda et al. found ~5 key ones. */
export const FOURIER_TOP_DEFAULT = 5;

/**
 * An embedding of Z_p (p rows, d columns) in the real Fourier basis of Z_p: the constant
 * 1/√p, and for k = 1…⌊p/2⌋ the orthonormal √(2/p)·cos(2πkx/p) and √(2/p)·sin(2πkx/p) (for
 * k = p/2, p even: (−1)^x/√p, no sine). Energies are squared coefficients summed over the d
 * dimensions; by Parseval they add up to the embedding's squared Frobenius norm.
 */
export interface FourierSpectrum {
  p: number;
  dModel: number;
  /** energy on the constant: p·‖mean row‖², what every residue shares */
  constant: number;
  /** energy of frequency k at index k − 1, cos and sin together */
  energies: number[];
  /** the non-constant energy: Σ energies */
  total: number;
  /** the `top` frequencies with most energy, most first (equal energies: the lower k first) */
  keyFrequencies: number[];
  /** their share of the non-constant energy, 0…1 (0 when there is none): Nanda's sparsity */
  concentration: number;
}

/** 1 ≤ top ≤ ⌊p/2⌋, or one line naming --top. */
export function checkTop(top: number, p: number): void {
  const kMax = Math.floor(p / 2);
  if (!Number.isInteger(top) || top < 1 || top > kMax) throw new UsageError(`--top ${top}: Z_${p} has frequencies 1…${kMax}, expected a whole number in 1…${kMax}`);
}

/**
 * The spectrum of `embedding` (row-major, p rows of d: row x embeds residue x). Float64, one
 * fixed order: per k, per dimension, the sum over x = 0…p−1; then the energies over dimensions
 * in order. cos/sin from math/ (DESIGN rule 3), so the numbers are the same on every runtime.
 */
export function fourierSpectrum(embedding: ArrayLike<number>, p: number, d: number, top = FOURIER_TOP_DEFAULT): FourierSpectrum {
  if (!Number.isInteger(p) || p < 2 || !Number.isInteger(d) || d < 1 || embedding.length < p * d) throw new RangeError(`fourierSpectrum: need p ≥ 2 rows of d ≥ 1, got p ${p}, d ${d}, ${embedding.length} values`);
  checkTop(top, p);
  const kMax = Math.floor(p / 2);
  const cosK = new Float64Array(p);
  const sinK = new Float64Array(p);
  const project = (basis: Float64Array, i: number): number => {
    let a = 0;
    for (let x = 0; x < p; x++) a += embedding[x * d + i] * basis[x];
    return a;
  };
  // squares as a·a, not a ** 2: ** is Math.pow's exponentiation, which the standard leaves to each engine (DESIGN rule 3)
  const square = (a: number) => a * a;
  cosK.fill(1 / Math.sqrt(p));
  let constant = 0;
  for (let i = 0; i < d; i++) constant += square(project(cosK, i));
  const energies: number[] = [];
  for (let k = 1; k <= kMax; k++) {
    const halfTurn = 2 * k === p; // cos(πx) = (−1)^x has norm √p, and sin(πx) = 0
    const scale = halfTurn ? 1 / Math.sqrt(p) : Math.sqrt(2 / p);
    for (let x = 0; x < p; x++) {
      const [c, s] = cosSinTurns(k * x, p);
      cosK[x] = scale * c;
      sinK[x] = halfTurn ? 0 : scale * s;
    }
    let e = 0;
    for (let i = 0; i < d; i++) e += square(project(cosK, i)) + (halfTurn ? 0 : square(project(sinK, i)));
    energies.push(e);
  }
  let total = 0;
  for (const e of energies) total += e;
  const ranked = energies.map((e, i) => ({ k: i + 1, e })).sort((a, b) => b.e - a.e || a.k - b.k);
  const keyFrequencies = ranked.slice(0, top).map((r) => r.k);
  let held = 0;
  for (const r of ranked.slice(0, top)) held += r.e;
  return { p, dModel: d, constant, energies, total, keyFrequencies, concentration: total > 0 ? held / total : 0 };
}

/** A modular run's residue embedding: where it is in the parameters, and p and d. */
function residueRows(log: LogReader): { p: number; d: number; offset: number } {
  const h = log.header;
  const data = h.config.data;
  if (data.kind !== 'modular') throw new UsageError(`${log.path}: the Fourier spectrum is of a modular task's residue embedding; this log is a run on the ${describeData(data)}`);
  const t = h.params.find((q) => q.name === FOURIER_TENSOR);
  const p = data.p;
  if (!t || t.shape.length !== 2 || t.shape[0] < p) throw new UsageError(`${log.path}: the model (${h.config.model.arch}) has no ${FOURIER_TENSOR} [V ≥ ${p}, d] to read the residues' embedding from`);
  return { p, d: t.shape[1], offset: t.offset };
}

const spectrumOf = (params: FloatArray, at: { p: number; d: number; offset: number }, top: number) => fourierSpectrum(params.subarray(at.offset, at.offset + at.p * at.d), at.p, at.d, top);

/** The spectrum of a modular run's residue embedding after step `step` (replayed, exact). */
export function fourierAt(log: LogReader, step: number, top = FOURIER_TOP_DEFAULT): FourierSpectrum & { step: number } {
  const at = residueRows(log);
  checkTop(top, at.p);
  return { step, ...spectrumOf(stateAt(log, step).params, at, top) };
}

/** The spectrum through training, beside the log's evaluation at each step (null where none). */
export interface FourierTrack {
  tensor: string;
  p: number;
  dModel: number;
  top: number;
  /** where the steps come from: the log's keyframes (with its first and last step), or every N */
  source: 'keyframes' | 'every';
  /** the interval of `every`, null for keyframes */
  every: number | null;
  points: (FourierSpectrum & { step: number; heldOutAccuracy: number | null; trainAccuracy: number | null })[];
}

/**
 * The spectrum at the log's keyframes and its first and last step, or (`every`) at the first
 * step, every `every` steps and the last: walking forwards once through a full or compact log,
 * replaying from the nearest keyframe for each step of a summary log (at most its keyframe
 * interval re-executed per step: with a summary log, --every at that interval is fastest).
 */
export function trackFourier(log: LogReader, opts: { top?: number; every?: number } = {}): FourierTrack {
  const h = log.header;
  const at = residueRows(log);
  const top = opts.top ?? FOURIER_TOP_DEFAULT;
  checkTop(top, at.p);
  const wanted = new Set<number>([h.startStep, log.lastStep]);
  if (opts.every === undefined) for (const k of log.keyframeSteps) wanted.add(k);
  else for (let s = h.startStep; s <= log.lastStep; s += opts.every) wanted.add(s);
  const steps = [...wanted].filter((s) => s >= h.startStep && s <= log.lastStep).sort((a, b) => a - b);
  const evals = new Map(log.readEvals().map((e) => [e.step, e]));
  const points: FourierTrack['points'] = [];
  // keyframes are read as they are; every N steps of a full or compact log, by one walk forwards
  const walker = opts.every !== undefined && h.mode !== 'summary' ? new StateWalker(log) : null;
  for (const s of steps) {
    let params: FloatArray;
    if (walker) {
      while (walker.step < s) walker.advance(log.readStep(walker.step + 1));
      params = walker.params!;
    } else params = stateAt(log, s).params;
    const e = evals.get(s);
    points.push({ step: s, ...spectrumOf(params, at, top), heldOutAccuracy: e?.heldOut.accuracy ?? null, trainAccuracy: e?.train.accuracy ?? null });
  }
  return { tensor: FOURIER_TENSOR, p: at.p, dModel: at.d, top, source: opts.every === undefined ? 'keyframes' : 'every', every: opts.every ?? null, points };
}

import { f64Bytes, f64From } from './format.ts';
import type { EvalRecord, StoredSplitFigures } from './records.ts';

/** A split's figures in an evaluation: the examples, the targets counted, the mean loss over them, the accuracy (a task with one answer) or null. */
export interface SplitFigures {
  examples: number;
  counted: number;
  loss: number;
  accuracy: number | null;
}

/** An evaluation after a step, as numbers (an `eval` record read). */
export interface Evaluation {
  step: number;
  heldOut: SplitFigures;
  train: SplitFigures;
}

const stored = (f: SplitFigures): StoredSplitFigures => ({ examples: f.examples, counted: f.counted, loss: f64Bytes(f.loss), accuracy: f.accuracy === null ? null : f64Bytes(f.accuracy) });
const read = (f: StoredSplitFigures): SplitFigures => ({ examples: f.examples, counted: f.counted, loss: f64From(f.loss), accuracy: f.accuracy === null ? null : f64From(f.accuracy) });

export function encodeEval(e: Evaluation): EvalRecord {
  return { kind: 'eval', step: e.step, heldOut: stored(e.heldOut), train: stored(e.train) };
}

export function decodeEval(r: EvalRecord): Evaluation {
  return { step: r.step, heldOut: read(r.heldOut), train: read(r.train) };
}

/** The first figure where two evaluations of a step differ, bit for bit (`heldOut.loss`, …), or null. */
export function evalDifference(a: Evaluation, b: Evaluation): { field: string; a: number | null; b: number | null } | null {
  for (const split of ['heldOut', 'train'] as const) {
    for (const key of ['examples', 'counted', 'loss', 'accuracy'] as const) {
      const x = a[split][key];
      const y = b[split][key];
      if (!(x === null ? y === null : y !== null && sameBits(x, y))) return { field: `${split}.${key}`, a: x, b: y };
    }
  }
  return null;
}

function sameBits(x: number, y: number): boolean {
  const a = f64Bytes(x);
  const b = f64Bytes(y);
  return a.every((v, i) => v === b[i]);
}

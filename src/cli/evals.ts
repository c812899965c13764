import { jsonNumber } from '../json.ts';
import type { Evaluation } from '../log/evals.ts';
import { fmtLoss } from './progress.ts';

/** A log's evaluations as JSON (NaN and ±Inf as strings, as everywhere in weft's JSON). */
export function evaluationsJson(evals: Evaluation[]): unknown[] {
  const split = (f: Evaluation['heldOut']) => ({ examples: f.examples, counted: f.counted, loss: jsonNumber(f.loss), accuracy: f.accuracy === null ? null : jsonNumber(f.accuracy) });
  return evals.map((e) => ({ step: e.step, heldOut: split(e.heldOut), train: split(e.train) }));
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : String(x));

/**
 * What a person reads of a run's evaluations, in two or three lines: held-out and train loss
 * first → last, the lowest held-out loss and its step (where it stopped falling: overfitting
 * starts after it), the accuracies for a task with one answer.
 */
export function evaluationLines(evals: Evaluation[], indent = '  '): string[] {
  if (!evals.length) return [];
  const first = evals[0];
  const last = evals[evals.length - 1];
  let best = first;
  for (const e of evals) if (e.heldOut.loss < best.heldOut.loss) best = e;
  const lines = [
    `${indent}held-out loss ${fmtLoss(first.heldOut.loss)} → ${fmtLoss(last.heldOut.loss)} · train ${fmtLoss(first.train.loss)} → ${fmtLoss(last.train.loss)} (${evals.length} evaluations, steps ${first.step}…${last.step}, ${last.heldOut.examples} held-out example${last.heldOut.examples === 1 ? '' : 's'})`,
  ];
  if (best !== last) lines.push(`${indent}held-out loss lowest at step ${best.step} (${fmtLoss(best.heldOut.loss)}), ${fmtLoss(last.heldOut.loss)} at the end`);
  if (last.heldOut.accuracy !== null && first.heldOut.accuracy !== null && last.train.accuracy !== null && first.train.accuracy !== null) {
    lines.push(`${indent}held-out accuracy ${pct(first.heldOut.accuracy)} → ${pct(last.heldOut.accuracy)} · train ${pct(first.train.accuracy)} → ${pct(last.train.accuracy)}`);
  }
  return lines;
}

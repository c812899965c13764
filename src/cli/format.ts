import type { ExpectationResult } from '../engine/scenario-run.ts';
import type { RunSummary } from '../engine/summary.ts';
import type { RunAccuracy } from '../data/metrics.ts';
import type { Anomaly } from '../engine/trainer.ts';
import { fmtLoss } from './progress.ts';

export function fmtNorm(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return x === 0 ? '0' : x.toExponential(2);
}

const BAR_DECADES = 6;

/** A bar whose length is log10 of x relative to the largest value: 6 decades below it is empty. */
function logBar(x: number, max: number, width = 24): string {
  if (!Number.isFinite(x)) return '!'.repeat(width);
  if (x <= 0 || !(max > 0)) return '';
  const f = 1 + Math.log10(x / max) / BAR_DECADES;
  return '█'.repeat(Math.max(0, Math.min(width, Math.round(f * width))));
}

export function formatSummary(s: RunSummary, stepsPerSec: number): string {
  const lines: string[] = [];
  lines.push(`loss ${fmtLoss(s.lossFirst)} → ${fmtLoss(s.lossLast)} (step ${s.lastStep}) over ${s.steps} steps (${stepsPerSec.toFixed(2)} steps/s)`);
  const max = Math.max(...s.layers.map((l) => (Number.isFinite(l.gradNormLast) ? l.gradNormLast : 0)));
  lines.push(`gradient L2 norm per layer (bars: log scale, ${BAR_DECADES} decades up to the largest)`);
  lines.push(`  ${'layer'.padEnd(9)} ${`step ${s.firstStep}`.padStart(10)}  ${`step ${s.lastStep}`.padStart(10)}  log scale`);
  for (const l of s.layers) {
    lines.push(`  ${l.name.padEnd(9)} ${fmtNorm(l.gradNormFirst).padStart(10)}  ${fmtNorm(l.gradNormLast).padStart(10)}  ${logBar(l.gradNormLast, max)}`);
  }
  lines.push(`  ${'global'.padEnd(9)} ${fmtNorm(s.gradNormGlobalFirst).padStart(10)}  ${fmtNorm(s.gradNormGlobalLast).padStart(10)}  (max ${fmtNorm(s.gradNormGlobalMax)}${s.clippedSteps ? `, clipped on ${s.clippedSteps} steps` : ''})`);
  if (s.accuracy) lines.push(formatAccuracy(s.accuracy));
  return lines.join('\n');
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** `accuracy after step 600: train 100.0% of 264 · held out 4.2% of 265` */
function formatAccuracy(a: RunAccuracy): string {
  const held = a.heldOut ? ` · held out ${pct(a.heldOut.accuracy!)} of ${a.heldOut.examples}` : ' · nothing held out';
  return `accuracy after step ${a.step}: train ${pct(a.train.accuracy!)} of ${a.train.examples}${held}`;
}

export function formatAnomaly(a: Anomaly): string {
  const where = a.stage === 'loss' ? `the loss${a.tensor ? ` (first non-finite activation: ${a.tensor})` : ''}` : `${a.stage === 'grad' ? 'the gradient of' : 'parameter'} ${a.tensor}[${a.index}]`;
  return `stopped: NaN/Inf at step ${a.step}, first in ${where}`;
}

/** A scenario's expectations checked on a run: how many hold, then one line each, ✓ or ✗ (with the error of a check that threw). */
export function formatExpectations(results: readonly ExpectationResult[]): string {
  const checked = results.filter((e) => !e.notChecked);
  const held = checked.filter((e) => e.ok).length;
  const skipped = results.length - checked.length;
  const lines = [`expectations: ${held} of ${checked.length} hold${skipped ? `, ${skipped} not checked` : ''}`];
  for (const e of results) lines.push(`  ${e.notChecked ? '–' : e.ok ? '✓' : '✗'} ${e.text}${e.error ? ` (${e.error})` : ''}${e.notChecked ? ` (not checked: ${e.notChecked})` : ''}`);
  return lines.join('\n');
}

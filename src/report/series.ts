import { layerName } from '../layout/table.ts';
import type { WeftConfig } from '../config/config.ts';
import type { LogReader } from '../log/reader.ts';
import { stepView } from '../log/steps.ts';
import type { Evaluation } from '../log/evals.ts';
import type { EvalSeries, RunSeries } from './charts.ts';

/**
 * Reads the scalars of the given steps (default: every step) from their records; arrays are not
 * decoded. A damaged record throws the reader's LogCorruptError, naming its offset.
 */
export function runSeries(log: LogReader, steps: number[] = log.stepNumbers): RunSeries {
  const r = readSeries(log, steps);
  if (r.damage) throw r.damage;
  return r.series;
}

/** runSeries up to the first record that does not read: the steps before it, and its error. */
export function readSeries(log: LogReader, steps: number[] = log.stepNumbers): { series: RunSeries; damage: unknown } {
  const L = log.header.config.model.nLayers;
  const layerNames = Array.from({ length: L + 2 }, (_, l) => layerName(l, L));
  const s: RunSeries = { steps: [], loss: [], clip: [], lr: [], gradGlobal: [], perLayer: layerNames.map(() => []), layerNames };
  for (const n of steps) {
    let v;
    try {
      v = stepView(log.readStep(n));
    } catch (e) {
      return { series: s, damage: e };
    }
    s.steps.push(n);
    s.loss.push(v.loss);
    s.clip.push(v.clipFactor);
    s.lr.push(v.lr);
    s.gradGlobal.push(v.gradNormGlobal);
    v.gradNormPerLayer.forEach((g, l) => s.perLayer[l].push(g));
  }
  return { series: s, damage: null };
}

/**
 * A log's evaluations as charts take them, or null when it has none. Accuracy only when every
 * evaluation has one (a task with one answer).
 */
export function evalSeries(evals: Evaluation[]): EvalSeries | null {
  if (!evals.length) return null;
  const accuracy = (split: 'heldOut' | 'train') => (evals.every((e) => e[split].accuracy !== null) ? evals.map((e) => e[split].accuracy!) : null);
  return {
    steps: evals.map((e) => e.step),
    heldOutLoss: evals.map((e) => e.heldOut.loss),
    trainLoss: evals.map((e) => e.train.loss),
    heldOutAccuracy: accuracy('heldOut'),
    trainAccuracy: accuracy('train'),
  };
}

/** A run in one line: scenario, model, optimizer, seed, steps, recording mode. */
/** AdamW's weight decay, always (it is what sets it apart), and any other optimizer's when on: " · weight decay X", or nothing. */
export function weightDecayText(o: WeftConfig['optim']): string {
  return o.kind === 'adamw' || o.weightDecay !== 0 ? ` · weight decay ${o.weightDecay}` : '';
}

export function describeRun(log: LogReader): string {
  const c = log.header.config;
  const m = c.model;
  return `${log.header.scenario} · ${m.nLayers} layer${m.nLayers === 1 ? '' : 's'}, d ${m.dModel}, ${m.nHeads} head${m.nHeads === 1 ? '' : 's'}${m.residual ? '' : ', no residuals'}${m.layerNorm ? '' : ', no layer norm'}, ${m.mlp ? m.activation : 'attention only'} · ${c.optim.kind} lr ${c.optim.lr}${weightDecayText(c.optim)}${c.clip.maxNorm > 0 ? ` · clip ${c.clip.maxNorm}` : ''} · dropout ${m.dropout} · seed ${c.seed} · ${log.stepNumbers.length} steps (${log.header.mode} log)`;
}

import type { LogReader } from '../log/reader.ts';
import { paramTable } from '../log/records.ts';
import { stepView } from '../log/steps.ts';
import { gradNorms } from '../optim/clip.ts';
import { optimizerOf } from '../optim/registry.ts';
import { StateWalker } from '../replay/walk.ts';
import { jsonNumber } from '../json.ts';
import type { RunSeries } from '../report/charts.ts';
import type { Checkpoints } from './checkpoints.ts';
import { problemOf, stepsReadable } from './problems.ts';
import type { LayerMetric, LayerMetrics } from './types.ts';

/** Steps walked between yields to the server's event loop (other requests are answered meanwhile). */
const STEPS_PER_SLICE = 4;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Per layer group and step: the gradient norm (recorded), and, by walking the log's states
 * forwards from its first keyframe, the update-to-weight ratio ‖Δw‖/‖w‖ (w before the step),
 * ‖m‖ and ‖v‖ after it and the effective step size ‖Δw‖/‖g‖ (g the clipped gradient the
 * optimizer consumed: SGD's is its learning rate, Adam's what its moments made of it). Norms in
 * float64 by the one sum of squares (optim/clip.ts). Walks only the readable steps (`series`),
 * offering the states it passes to `checkpoints` (drill-downs then start near any step). Stops
 * (rejecting) when `signal` aborts.
 */
export async function layerMetrics(id: number, log: LogReader, series: RunSeries, checkpoints: Checkpoints | null = null, signal?: AbortSignal): Promise<LayerMetrics> {
  const h = log.header;
  const table = paramTable(h);
  const L = series.layerNames.length;
  const n = series.steps.length;
  const grid = () => Array.from({ length: L }, () => new Array<number>(n).fill(NaN));
  const ratio = grid();
  const mNorm = grid();
  const vNorm = grid();
  const stepSize = grid();
  const buffers = optimizerOf(h.config.optim.kind).buffers;
  let why: string | null = h.mode === 'summary' ? 'a summary log keeps no arrays between keyframes: re-run with --record compact or full' : null;
  let problem = null;
  // begun by a request whose answer goes first
  await yieldToLoop();
  if (!why) {
    try {
      signal?.throwIfAborted();
      const walker = new StateWalker(log);
      const params = walker.params!;
      const before = new Float64Array(params);
      const delta = new Float64Array(params.length);
      let normBefore = gradNorms(before, table).perLayer;
      for (let i = 0; i < n; i++) {
        const s = series.steps[i];
        if (s !== walker.step + 1) throw new RangeError(`step ${s} does not follow step ${walker.step}`);
        const r = log.readStep(s);
        walker.advance(r);
        for (let j = 0; j < params.length; j++) delta[j] = params[j] - before[j];
        const dw = gradNorms(delta, table).perLayer;
        const normAfter = gradNorms(params, table).perLayer;
        const v = stepView(r);
        const m = walker.m!.length ? gradNorms(walker.m!, table).perLayer : null;
        const vv = walker.v!.length ? gradNorms(walker.v!, table).perLayer : null;
        for (let l = 0; l < L; l++) {
          ratio[l][i] = dw[l] / normBefore[l];
          stepSize[l][i] = dw[l] / (v.gradNormPerLayer[l] * v.clipFactor);
          if (m) mNorm[l][i] = m[l];
          if (vv) vNorm[l][i] = vv[l];
        }
        checkpoints?.offer(s, { params, m: walker.m!, v: walker.v!, optimT: walker.optimT });
        before.set(params);
        normBefore = normAfter;
        if (i % STEPS_PER_SLICE === STEPS_PER_SLICE - 1) {
          await yieldToLoop();
          signal?.throwIfAborted(); // the viewer closed the log
        }
      }
    } catch (e) {
      problem = problemOf(e, `${stepsReadable(series.steps)}; the arrays could not be walked past the damage`);
      why = problem.message;
    }
  }
  const json = (g: number[][]) => g.map((row) => row.map(jsonNumber));
  const metric = (id: LayerMetric['id'], title: string, values: number[][] | null, missing: string | null): LayerMetric =>
    ({ id, title, values: missing ? null : json(values!), why: missing });
  const metrics: LayerMetric[] = [
    metric('gradNorm', 'gradient L2 norm ‖g‖ (before clipping)', series.perLayer, null),
    metric('updateRatio', 'update-to-weight ratio ‖Δw‖ / ‖w‖', ratio, why),
    metric('mNorm', `‖${buffers.m ?? 'm'}‖, the optimizer’s first buffer`, mNorm, why ?? (buffers.m ? null : `${h.config.optim.kind} keeps no first buffer`)),
    metric('vNorm', `‖${buffers.v ?? 'v'}‖, the optimizer’s second buffer`, vNorm, why ?? (buffers.v ? null : `${h.config.optim.kind} keeps no second buffer`)),
    metric('stepSize', 'effective step size ‖Δw‖ / ‖g‖ (g after clipping)', stepSize, why),
  ];
  return { id, steps: series.steps, layerNames: series.layerNames, metrics, problem };
}

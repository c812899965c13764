import { Trainer } from '../engine/trainer.ts';
import { loggedBatchesOf } from '../replay/data.ts';
import type { FloatArray } from '../kernels/types.ts';
import { layerName } from '../layout/table.ts';
import type { LogReader } from '../log/reader.ts';
import { paramTable } from '../log/records.ts';
import { stepMasks, stepView } from '../log/steps.ts';
import { gradNorms } from '../optim/clip.ts';
import { optimizerOf } from '../optim/registry.ts';
import { stateAt } from '../replay/state.ts';
import type { Checkpoints } from './checkpoints.ts';
import { jsonNumber } from '../json.ts';
import type { Histogram, Quantity, StepDetail, TensorDetail } from './types.ts';

export const HISTOGRAM_BINS = 32;

/** Counts of a[start…end) in equal bins between its finite minimum and maximum. */
export function histogram(a: ArrayLike<number>, start: number, end: number, bins = HISTOGRAM_BINS): Histogram {
  let lo = Infinity;
  let hi = -Infinity;
  let nonFinite = 0;
  for (let i = start; i < end; i++) {
    const x = a[i];
    if (!Number.isFinite(x)) nonFinite++;
    else {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  const counts = new Array<number>(bins).fill(0);
  if (lo > hi) return { lo: 0, hi: 0, counts, nonFinite };
  const width = (hi - lo) / bins;
  for (let i = start; i < end; i++) {
    const x = a[i];
    if (Number.isFinite(x)) counts[width > 0 ? Math.min(bins - 1, Math.floor((x - lo) / width)) : 0]++;
  }
  return { lo, hi, counts, nonFinite };
}

/** What drill-downs into one log keep between requests: a trainer that re-executes single steps, states near the next. */
export interface StepCache {
  trainer: Trainer | null;
  states: Checkpoints;
}

/**
 * Everything the log knows of step n, per tensor: norms and histograms of the weights, Δw, the
 * gradient (after clipping: what the optimizer consumed) and the optimizer's buffers after the
 * step, with the gradient norm the log records (before clipping), the dropout keep-rates and the
 * batch. The state before the step is replayed from the nearest keyframe or kept state and the step
 * re-executed from it (the gradient is in no full log): its hash must equal the log's, so what is
 * shown is exactly the recorded step. Step startStep (the initial state) has weights and buffers
 * only.
 */
export function stepDetail(id: number, log: LogReader, n: number, cache: StepCache): StepDetail {
  const t0 = performance.now(); // timing: shown on the page, never logged
  const h = log.header;
  const table = paramTable(h);
  const buffers = optimizerOf(h.config.optim.kind).buffers;
  const arrays: Partial<Record<Quantity, FloatArray | Float64Array>> = {};
  let view = null;
  let masks: Map<string, Uint8Array> | null = null;
  let stateHash: string;
  if (n === h.startStep) {
    const s = stateAt(log, n);
    Object.assign(arrays, { w: s.params, m: s.m, v: s.v });
    stateHash = s.stateHash;
  } else {
    const r = log.readStep(n);
    view = stepView(r);
    const before = cache.states.stateAt(n - 1);
    cache.trainer ??= new Trainer(h.config, { numericMode: h.numericMode, threads: 1, loggedBatches: loggedBatchesOf(log) });
    const trainer = cache.trainer;
    trainer.loadState(n - 1, before.params, before.m, before.v, before.optimT);
    const rec = trainer.step();
    if (rec.stateHash !== view.stateHash) {
      throw log.corrupt('step', n, `re-executing it from the log's state after step ${n - 1} gives state hash ${rec.stateHash}, the log records ${view.stateHash}`);
    }
    const dw = new Float64Array(before.params.length);
    for (let i = 0; i < dw.length; i++) dw[i] = trainer.params[i] - before.params[i];
    cache.states.remember(n, trainer.state); // the next step's drill-down starts here
    Object.assign(arrays, { w: trainer.params, g: rec.grads, dw, m: trainer.optim.m, v: trainer.optim.v });
    masks = stepMasks(h, r) ?? rec.masks;
    stateHash = view.stateHash;
  }
  const quantities: Quantity[] = ['w', 'g', 'dw', 'm', 'v'];
  const norms = Object.fromEntries(quantities.map((q) => [q, arrays[q]?.length ? gradNorms(arrays[q]!, table).perTensor : null]));
  const tensors: TensorDetail[] = table.tensors.map((t, i) => ({
    name: t.name,
    shape: [...t.shape],
    layer: layerName(t.layer, h.config.model.nLayers),
    gradNormRecorded: view ? jsonNumber(view.gradNormPerTensor[i]) : null,
    norms: Object.fromEntries(quantities.map((q) => [q, norms[q] ? jsonNumber(norms[q]![i]) : null])) as TensorDetail['norms'],
    hist: Object.fromEntries(quantities.map((q) => [q, arrays[q]?.length ? histogram(arrays[q]!, t.offset, t.offset + t.size) : null])) as TensorDetail['hist'],
  }));
  const T = h.config.model.contextLength;
  const vocab = h.vocab;
  return {
    id,
    step: n,
    loss: view ? jsonNumber(view.loss) : null,
    lr: view ? jsonNumber(view.lr) : null,
    clipFactor: view ? jsonNumber(view.clipFactor) : null,
    gradNormGlobal: view ? jsonNumber(view.gradNormGlobal) : null,
    buffers: { m: buffers.m ?? null, v: buffers.v ?? null },
    tensors,
    dropout: masks ? [...masks].map(([site, keep]) => ({ site, keepRate: keepRate(keep) })) : null,
    batchWords: view && vocab ? Array.from(view.inputs.subarray(0, T), (i) => vocab[i] ?? '?').join(' ') : null,
    stateHash,
    elapsedMs: Math.round(performance.now() - t0), // timing
  };
}

function keepRate(keep: Uint8Array): number {
  let k = 0;
  for (let i = 0; i < keep.length; i++) k += keep[i];
  return keep.length ? k / keep.length : 1;
}

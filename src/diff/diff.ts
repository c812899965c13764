import { UsageError } from '../errors.ts';
import type { FloatArray } from '../kernels/types.ts';
import { layerName } from '../layout/table.ts';
import { gradNorms } from '../optim/clip.ts';
import type { LogReader } from '../log/reader.ts';
import { paramTable, type HeaderRecord } from '../log/records.ts';
import { stepMasks, stepView, type StepView } from '../log/steps.ts';
import { StateWalker } from '../replay/walk.ts';
import { stateAt } from '../replay/state.ts';
import { checkLog } from '../replay/check.ts';
import { firstBitDifference, firstStepDifference, tensorOf, type FieldDifference, type StepSide, type Stream } from '../log/compare.ts';
import { configDifferences, type ConfigDifference } from './config-diff.ts';
import type { Evaluation } from '../log/evals.ts';

export type { Stream };

/** The first difference of two runs: the comparator's (log/compare.ts), at a step, with its likely causes. */
export interface Divergence extends FieldDifference {
  /** 0 = the initial state */
  step: number;
  /** what the logs say caused it, in words ("seed differs (1 vs 2)", "optim.kind: adam vs sgd") */
  causes: string[];
}

/** Where a divergence is, as people read it: the field, the tensor, the element (`params embed.tok[17]`). */
export function divergenceWhere(d: Pick<Divergence, 'field' | 'tensor' | 'index'>): string {
  return `${d.field}${d.tensor ? ` ${d.tensor}` : ''}${d.index !== null ? `[${d.index}]` : ''}`;
}

export interface LayerDiff {
  layer: string;
  gradNormA: number;
  gradNormB: number;
  /** gradNormB / gradNormA */
  gradNormRatio: number;
  /** ‖w_a − w_b‖ over the layer's parameters, and that over ‖w_a‖ (null without arrays) */
  paramDist: number | null;
  paramDistRel: number | null;
}

export interface StepDiff {
  step: number;
  lossA: number;
  lossB: number;
  lossDiff: number;
  clipFactorA: number;
  clipFactorB: number;
  layers: LayerDiff[] | null;
}

/** The held-out loss of both runs at one evaluation step, and b − a. */
export interface HeldOutAt {
  step: number;
  lossA: number;
  lossB: number;
  lossDiff: number;
}

/** Where two runs' held-out curves part, and where they end up (logs that both have evaluations). */
export interface HeldOutDiff {
  /** the evaluation steps both logs have */
  commonSteps: number;
  /** the first common evaluation step where the held-out loss differs, bit for bit (null: it never does) */
  parts: HeldOutAt | null;
  /** at the last common evaluation step, with both held-out accuracies (null: the task has none) */
  end: (HeldOutAt & { accuracyA: number | null; accuracyB: number | null }) | null;
}

export interface DiffResult {
  a: { file: string; scenario: string; steps: [number, number]; mode: string };
  b: { file: string; scenario: string; steps: [number, number]; mode: string };
  identical: boolean;
  firstDivergence: Divergence | null;
  config: ConfigDifference[];
  /** from the first divergence on (all steps when `everyStep`) */
  steps: StepDiff[];
  /** what could not be compared, and why */
  notCompared: string[];
  /** present when both logs have evaluations (config.eval) */
  heldOut?: HeldOutDiff;
}

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toExponential(2)}`;
const pct = (x: number | null) => (x === null ? '–' : Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : String(x));

/** Where the held-out curves part and how far apart they end, in a line each (the text and HTML outputs). */
export function heldOutLines(h: HeldOutDiff): string[] {
  if (!h.end) return ['held-out loss: no evaluation step in common'];
  const lines = [h.parts
    ? `held-out loss parts at step ${h.parts.step}: a ${h.parts.lossA.toFixed(6)}, b ${h.parts.lossB.toFixed(6)} (b − a ${signed(h.parts.lossDiff)})`
    : `held-out loss equal at all ${h.commonSteps} common evaluation steps, bit for bit`];
  const e = h.end;
  const accuracy = e.accuracyA !== null || e.accuracyB !== null ? ` · held-out accuracy a ${pct(e.accuracyA)}, b ${pct(e.accuracyB)}` : '';
  lines.push(`held-out loss at step ${e.step}, the last common evaluation: a ${e.lossA.toFixed(6)}, b ${e.lossB.toFixed(6)} (b − a ${signed(e.lossDiff)})${accuracy}`);
  return lines;
}

/** The held-out curves of two logs' evaluations, compared at the steps both evaluated. */
export function heldOutDiff(ea: Evaluation[], eb: Evaluation[]): HeldOutDiff {
  const byStep = new Map(eb.map((e) => [e.step, e]));
  const common = ea.flatMap((a) => (byStep.has(a.step) ? [[a, byStep.get(a.step)!] as const] : []));
  const at = (a: Evaluation, b: Evaluation): HeldOutAt => ({ step: a.step, lossA: a.heldOut.loss, lossB: b.heldOut.loss, lossDiff: b.heldOut.loss - a.heldOut.loss });
  // Object.is: bit for bit but for NaN, which equals NaN (two runs that both blew up have not parted there)
  const parted = common.find(([a, b]) => !Object.is(a.heldOut.loss, b.heldOut.loss));
  const last = common[common.length - 1];
  return {
    commonSteps: common.length,
    parts: parted ? at(...parted) : null,
    end: last ? { ...at(...last), accuracyA: last[0].heldOut.accuracy, accuracyB: last[1].heldOut.accuracy } : null,
  };
}

function sameArchitecture(a: HeaderRecord, b: HeaderRecord): boolean {
  return a.params.length === b.params.length && a.params.every((p, i) => p.name === b.params[i].name && p.size === b.params[i].size) && a.dtype === b.dtype;
}

/** Norms of (a − b) and of a, per layer group, over the parameter table (a − b in float64, exact to the last bit of the old loop). */
function layerDistances(h: HeaderRecord, a: FloatArray, b: FloatArray): { dist: Float64Array; normA: Float64Array } {
  const table = paramTable(h);
  if (differences.length !== a.length) differences = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) differences[i] = a[i] - b[i];
  return { dist: gradNorms(differences, table).perLayer, normA: gradNorms(a, table).perLayer };
}

/** layerDistances' a − b, reused call to call (diff walks both logs step by step). */
let differences = new Float64Array(0);

/** Config keys that can change each stream's values (`steps` and `record` change none). */
const CAUSES: Record<Stream, RegExp> = {
  config: /./,
  weight: /^(model|optim|clip|schedule|dtype)\./,
  batch: /^data\./,
  mask: /^model\.(dropout|nLayers|dModel)|^data\.batchSize/,
  loss: /^(model|data)\./,
  gradient: /^(model|data)\./,
  moment: /^(optim|clip|schedule)\./,
  clip: /^clip\./,
  lr: /^(optim\.lr|schedule)/,
  hash: /./,
};

function causesFor(stream: Stream, config: ConfigDifference[]): string[] {
  const seed = config.find((c) => c.key === 'seed');
  if (seed) return [`seed differs (${seed.a} vs ${seed.b})`];
  const relevant = config.filter((c) => !/^(steps|record)\b/.test(c.key));
  const related = relevant.filter((c) => CAUSES[stream].test(c.key));
  const fmt = (c: ConfigDifference) => `${c.key}: ${JSON.stringify(c.a)} vs ${JSON.stringify(c.b)}`;
  // the keys that move this stream first, then every other difference that changes numbers
  const out = [...(related.length ? related : relevant).map(fmt), ...(related.length ? relevant.filter((c) => !related.includes(c)).map((c) => `also: ${fmt(c)}`) : [])];
  if (stream === 'batch') out.unshift('different batch');
  if (stream === 'mask') out.unshift('different dropout masks');
  if (out.length === 0) out.push('the configs are equal: a change in weft itself, or in the data it ran on');
  return out;
}

interface CompareCtx {
  ha: HeaderRecord;
  hb: HeaderRecord;
  config: ConfigDifference[];
  sameArch: boolean;
  notCompared: Set<string>;
}

/** One log's step as the comparator sees it: its record, and its walker's state after it. */
function side(h: HeaderRecord, v: StepView, r: ReturnType<LogReader['readStep']>, w: StateWalker): StepSide {
  return {
    inputs: v.inputs, targets: v.targets, masks: stepMasks(h, r), loss: v.loss,
    gradNormPerTensor: v.gradNormPerTensor, gradNormGlobal: v.gradNormGlobal, clipFactor: v.clipFactor,
    grads: w.grads, lr: v.lr, m: w.m, v: w.v, params: w.params, optimT: v.optimT, stateHash: v.stateHash,
  };
}

/** The first difference within one step, in causal order (log/compare.ts), or null. */
function firstInStep(ctx: CompareCtx, s: number, va: StepView, vb: StepView, ra: ReturnType<LogReader['readStep']>, rb: ReturnType<LogReader['readStep']>, wa: StateWalker, wb: StateWalker): Omit<Divergence, 'causes'> | null {
  const sameMoments = ctx.ha.optimBuffers.m === ctx.hb.optimBuffers.m && ctx.ha.optimBuffers.v === ctx.hb.optimBuffers.v;
  if (ctx.sameArch && wa.hasArrays && wb.hasArrays && !sameMoments) ctx.notCompared.add(`optimizer moments: ${ctx.ha.config.optim.kind} vs ${ctx.hb.config.optim.kind} keep different state`);
  const d = firstStepDifference(ctx.ha, side(ctx.ha, va, ra, wa), side(ctx.hb, vb, rb, wb), { sameArch: ctx.sameArch, sameMoments });
  return d ? { step: s, ...d } : null;
}

export interface DiffOptions {
  /** record per-step differences for every step, not only from the first divergence on */
  everyStep?: boolean;
}

/**
 * Compares two logs step by step (streamed: one state per log in memory). Finds the first
 * difference — step, stream, tensor, element, both values, and likely causes — then reports per
 * step the losses and per layer the gradient-norm ratio and parameter distance.
 */
export function diff(a: LogReader, b: LogReader, opts: DiffOptions = {}): DiffResult {
  // both logs are compared whole, so both are checked whole: damage is corruption, never "identical"
  checkLog(a);
  checkLog(b);
  const ha = a.header;
  const hb = b.header;
  if (ha.vocabSize !== hb.vocabSize || JSON.stringify(ha.vocab) !== JSON.stringify(hb.vocab)) {
    const what = (h: typeof ha) => (h.vocab ? `${h.vocabSize} words, ${h.vocab.slice(0, 3).map((w) => JSON.stringify(w)).join(' ')}…` : `${h.vocabSize} token ids without words`);
    const size = `a: ${what(ha)}; b: ${what(hb)}`;
    throw new UsageError(`the logs have different vocabularies (${size}): their batches and outputs cannot be compared`);
  }
  const config = configDifferences(ha.config, hb.config);
  const sameArch = sameArchitecture(ha, hb);
  const ctx: CompareCtx = { ha, hb, config, sameArch, notCompared: new Set() };
  if (!sameArch) ctx.notCompared.add('weights, moments and per-layer figures: the architectures differ');
  if (ha.mode === 'summary' || hb.mode === 'summary') ctx.notCompared.add('arrays between keyframes: a summary log has none (hashes compared instead)');
  let first: Divergence | null = null;
  const start = Math.max(ha.startStep, hb.startStep);
  const end = Math.min(a.lastStep, b.lastStep);
  if (a.lastStep !== b.lastStep) ctx.notCompared.add(`steps ${end + 1}…${Math.max(a.lastStep, b.lastStep)}: only ${a.lastStep > b.lastStep ? 'a' : 'b'} has them`);
  if (ha.startStep !== hb.startStep) ctx.notCompared.add(`steps before ${start}: only ${ha.startStep < hb.startStep ? 'a' : 'b'} has them`);
  const wa = new StateWalker(a);
  const wb = new StateWalker(b);
  // bring both walkers to the common start
  while (wa.step < start) wa.advance(a.readStep(wa.step + 1));
  while (wb.step < start) wb.advance(b.readStep(wb.step + 1));
  // the weights at a step: the walkers' (full, compact), or the keyframes both logs have there (summary)
  const weightsAt = (s: number): [FloatArray, FloatArray] | null => {
    if (!sameArch) return null;
    if (wa.hasArrays && wb.hasArrays) return [wa.params!, wb.params!];
    if (!a.keyframeSteps.includes(s) || !b.keyframeSteps.includes(s)) return null;
    return [wa.params ?? stateAt(a, s).params, wb.params ?? stateAt(b, s).params];
  };
  const startWeights = weightsAt(start);
  if (startWeights) {
    const [pa, pb] = startWeights;
    const i = firstBitDifference(pa, pb);
    if (i >= 0) {
      const t = tensorOf(ha, i);
      first = { step: start, stream: 'weight', field: 'params', ...t, a: pa[i], b: pb[i], causes: causesFor('weight', config) };
    }
  }
  const steps: StepDiff[] = [];
  for (let s = start + 1; s <= end; s++) {
    const ra = a.readStep(s);
    const rb = b.readStep(s);
    wa.advance(ra);
    wb.advance(rb);
    const va = stepView(ra);
    const vb = stepView(rb);
    if (!first) {
      const f = firstInStep(ctx, s, va, vb, ra, rb, wa, wb);
      if (f) first = { ...f, causes: causesFor(f.stream, config) };
    }
    if (first || opts.everyStep) {
      let layers: LayerDiff[] | null = null;
      if (sameArch) {
        const w = weightsAt(s);
        const dist = w ? layerDistances(ha, w[0], w[1]) : null;
        layers = Array.from(va.gradNormPerLayer, (g, l) => ({
          layer: layerName(l, ha.config.model.nLayers),
          gradNormA: g,
          gradNormB: vb.gradNormPerLayer[l],
          gradNormRatio: vb.gradNormPerLayer[l] / g,
          paramDist: dist ? dist.dist[l] : null,
          paramDistRel: dist ? dist.dist[l] / dist.normA[l] : null,
        }));
      }
      steps.push({ step: s, lossA: va.loss, lossB: vb.loss, lossDiff: vb.loss - va.loss, clipFactorA: va.clipFactor, clipFactorB: vb.clipFactor, layers });
    }
  }
  if (!first && config.length) {
    // equal numbers under different configs (e.g. only `steps` or `record` differ)
    const meaningful = config.filter((c) => !/^(steps|record)\b/.test(c.key));
    if (meaningful.length) first = { step: start, stream: 'config', field: meaningful[0].key, tensor: null, index: null, a: String(meaningful[0].a), b: String(meaningful[0].b), causes: ['the configs differ but every compared number is equal'] };
  }
  const lengthsDiffer = a.lastStep !== b.lastStep || ha.startStep !== hb.startStep;
  const [ea, eb] = [a.readEvals(), b.readEvals()];
  if (ea.length !== 0 && eb.length === 0) ctx.notCompared.add('held-out evaluations: only a has them');
  if (ea.length === 0 && eb.length !== 0) ctx.notCompared.add('held-out evaluations: only b has them');
  const heldOut = ea.length && eb.length ? { heldOut: heldOutDiff(ea, eb) } : {};
  return {
    a: { file: a.path, scenario: ha.scenario, steps: [ha.startStep, a.lastStep], mode: ha.mode },
    b: { file: b.path, scenario: hb.scenario, steps: [hb.startStep, b.lastStep], mode: hb.mode },
    identical: !first && !lengthsDiffer,
    firstDivergence: first,
    config,
    steps,
    notCompared: [...ctx.notCompared],
    ...heldOut,
  };
}

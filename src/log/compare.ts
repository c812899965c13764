import { tensorAt } from '../layout/table.ts';
import { STEP_FIELDS, type Stream } from './fields.ts';
import { paramTable, type HeaderRecord } from './records.ts';

export type { Stream };

/** One step as one side of a comparison sees it: a log's record, or a step re-executed. */
export interface StepSide {
  inputs: ArrayLike<number>;
  targets: ArrayLike<number>;
  /** keep-masks by site; null without dropout */
  masks: Map<string, Uint8Array> | null;
  loss: number;
  gradNormPerTensor: ArrayLike<number>;
  gradNormGlobal: number;
  clipFactor: number;
  /** the gradient after clipping, when this side has it */
  grads: ArrayLike<number> | null;
  lr: number;
  /** the state after the step, when this side has its arrays (empty for a buffer the optimizer lacks) */
  m: ArrayLike<number> | null;
  v: ArrayLike<number> | null;
  params: ArrayLike<number> | null;
  /** the optimizer's step count after the step, when this side knows it */
  optimT: number | null;
  stateHash: string;
}

/**
 * A step's fields (fields.ts) in causal order: what the step read, what it computed, what it
 * wrote — and the goldens' parameter norms after the weights they summarise. Every stored field
 * but the step number has its place here (a test holds new fields to it).
 */
const CAUSAL_KEYS = ['inputs', 'targets', 'masks', 'loss', 'gradNormPerTensor', 'gradNormPerLayer', 'gradNormGlobal', 'clipFactor', 'grads', 'lr', 'm', 'v', 'params', 'paramNorm', 'optimT', 'stateHash'];

export const CAUSAL_ORDER: readonly { field: string; stream: Stream }[] = CAUSAL_KEYS.map((field) => ({
  field,
  stream: STEP_FIELDS.find((f) => f.key === field)?.stream ?? 'weight',
}));

/** The goldens' names for step fields (their file format predates fields.ts). */
const ALIASES: Record<string, string> = { 'gradNorm.global': 'gradNormGlobal', 'gradNorm.perLayer': 'gradNormPerLayer', 'gradNorm.perTensor': 'gradNormPerTensor' };

const rank = new Map(CAUSAL_ORDER.map((f, i) => [f.field, i]));

/** Where a field stands in the causal order (unknown fields last). */
export function causalRank(field: string): number {
  return rank.get(ALIASES[field] ?? field) ?? CAUSAL_ORDER.length;
}

export function streamOf(field: string): Stream {
  return CAUSAL_ORDER[causalRank(field)]?.stream ?? 'hash';
}

export interface FieldDifference {
  stream: Stream;
  field: string;
  /** the tensor (parameter-shaped arrays, per-tensor norms) or dropout site, null otherwise */
  tensor: string | null;
  index: number | null;
  a: number | string | null;
  b: number | string | null;
}

/** The tensor holding flat index i of the parameter buffer, and the index within it ('?' past the table's end). */
export function tensorOf(h: HeaderRecord, i: number): { tensor: string; index: number } {
  const at = tensorAt(paramTable(h), i);
  return at ? { tensor: at.tensor.name, index: at.index } : { tensor: '?', index: i };
}

/** First index where two arrays differ in bits (NaN equals NaN only with the same bits); −1 when equal. */
export function firstBitDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (!Object.is(a[i], b[i])) return i;
  return a.length === b.length ? -1 : n;
}

export interface CompareOptions {
  /** the two sides share a parameter table: compare per-tensor figures and arrays (else only the global norm) */
  sameArch: boolean;
  /** the two sides keep the same optimizer buffers (else the moments are not compared) */
  sameMoments: boolean;
}

/**
 * The first field in which two views of a step differ, in causal order (CAUSAL_ORDER): the
 * one comparator of verify (a log against its re-execution) and diff (two logs). Scalars and
 * arrays are compared bit for bit; a difference in a parameter-shaped array names its tensor
 * and element (from `h`'s table), in the masks its dropout site. Values a side lacks (null) are
 * not compared.
 */
export function firstStepDifference(h: HeaderRecord, a: StepSide, b: StepSide, opts: CompareOptions): FieldDifference | null {
  const at = (field: string, tensor: string | null, index: number | null, x: number | string | null, y: number | string | null): FieldDifference => ({ stream: streamOf(field), field, tensor, index, a: x, b: y });
  const scalar = (field: string, x: number | string | null, y: number | string | null) => (x === null || y === null || Object.is(x, y) ? null : at(field, null, null, x, y));
  const array = (field: string, x: ArrayLike<number> | null, y: ArrayLike<number> | null, where: 'index' | 'tensor') => {
    if (!x || !y) return null;
    const i = firstBitDifference(x, y);
    if (i < 0) return null;
    if (where === 'index') return at(field, null, i, x[i] ?? 'missing', y[i] ?? 'missing');
    const t = tensorOf(h, i);
    return at(field, t.tensor, t.index, x[i] ?? 'missing', y[i] ?? 'missing');
  };
  const masks = () => {
    if (!a.masks !== !b.masks) return at('masks', null, null, a.masks ? 'dropout' : 'none', b.masks ? 'dropout' : 'none');
    if (!a.masks || !b.masks) return null;
    for (const site of h.dropoutSites) {
      const x = a.masks.get(site);
      const y = b.masks.get(site);
      if (!x || !y) return at('masks', site, null, x ? 'present' : 'absent', y ? 'present' : 'absent');
      const i = firstBitDifference(x, y);
      if (i >= 0) return at('masks', site, i, x[i] ?? 'missing', y[i] ?? 'missing');
    }
    return null;
  };
  const perTensorNorm = () => {
    const i = firstBitDifference(a.gradNormPerTensor, b.gradNormPerTensor);
    return i < 0 ? null : at('gradNormPerTensor', h.params[i]?.name ?? null, null, a.gradNormPerTensor[i] ?? 'missing', b.gradNormPerTensor[i] ?? 'missing');
  };
  const arch = opts.sameArch;
  // per field its check; they run in CAUSAL_ORDER (gradNormPerLayer: the per-tensor norms decide)
  const checks: Partial<Record<string, () => FieldDifference | null>> = {
    inputs: () => array('inputs', a.inputs, b.inputs, 'index'),
    targets: () => array('targets', a.targets, b.targets, 'index'),
    masks,
    loss: () => scalar('loss', a.loss, b.loss),
    gradNormPerTensor: () => (arch ? perTensorNorm() : null),
    gradNormGlobal: () => scalar('gradNormGlobal', a.gradNormGlobal, b.gradNormGlobal),
    clipFactor: () => scalar('clipFactor', a.clipFactor, b.clipFactor),
    grads: () => (arch ? array('grads', a.grads, b.grads, 'tensor') : null),
    lr: () => scalar('lr', a.lr, b.lr),
    m: () => (arch && opts.sameMoments ? array('m', a.m, b.m, 'tensor') : null),
    v: () => (arch && opts.sameMoments ? array('v', a.v, b.v, 'tensor') : null),
    params: () => (arch ? array('params', a.params, b.params, 'tensor') : null),
    optimT: () => scalar('optimT', a.optimT, b.optimT),
    stateHash: () => scalar('stateHash', a.stateHash, b.stateHash),
  };
  for (const { field } of CAUSAL_ORDER) {
    const d = checks[field]?.();
    if (d) return d;
  }
  return null;
}

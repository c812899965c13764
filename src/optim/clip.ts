import type { FloatArray } from '../kernels/types.ts';
import type { ParamTable } from '../layout/table.ts';

export interface GradNorms {
  /** L2 norm per tensor, in parameter-table order. */
  perTensor: Float64Array;
  /** L2 norm per layer group (0 = emb, 1…L = blocks, L+1 = head). */
  perLayer: Float64Array;
  global: number;
}

/** Σ x² over a[start…end) in float64, in index order: the one sum every norm in weft is built from. */
export function sumSquares(a: ArrayLike<number>, start: number, end: number): number {
  let sq = 0;
  for (let j = start; j < end; j++) sq += a[j] * a[j];
  return sq;
}

/**
 * L2 norms of a flat buffer laid out by the parameter table (gradients; also weights, moments
 * and differences). Per tensor its sumSquares; per layer and globally the tensors' sums added in
 * table order.
 */
export function gradNorms(grads: ArrayLike<number>, table: Pick<ParamTable, 'tensors' | 'nLayerGroups'>): GradNorms {
  const perTensor = new Float64Array(table.tensors.length);
  const layerSq = new Float64Array(table.nLayerGroups);
  let globalSq = 0;
  table.tensors.forEach((t, i) => {
    const sq = sumSquares(grads, t.offset, t.offset + t.size);
    perTensor[i] = Math.sqrt(sq);
    layerSq[t.layer] += sq;
    globalSq += sq;
  });
  return { perTensor, perLayer: layerSq.map(Math.sqrt), global: Math.sqrt(globalSq) };
}

/**
 * L2 norm per layer group with each group's elements summed as one sequence (a group's tensors
 * are contiguous in the table): the goldens' parameter norms, fixed in that order since their
 * first version.
 */
export function layerSpanNorms(a: ArrayLike<number>, table: Pick<ParamTable, 'tensors' | 'nLayerGroups'>): Float64Array {
  const norms = new Float64Array(table.nLayerGroups);
  for (let layer = 0; layer < table.nLayerGroups; layer++) {
    const ts = table.tensors.filter((t) => t.layer === layer);
    if (ts.length === 0) continue;
    const start = ts[0].offset;
    const end = ts[ts.length - 1].offset + ts[ts.length - 1].size;
    if (ts.some((t, i) => i > 0 && t.offset !== ts[i - 1].offset + ts[i - 1].size)) throw new RangeError(`layer group ${layer}'s tensors are not contiguous`);
    norms[layer] = Math.sqrt(sumSquares(a, start, end));
  }
  return norms;
}

/**
 * Global-norm clipping as torch.nn.utils.clip_grad_norm_: factor = min(1, maxNorm/(norm + 1e-6)),
 * gradients multiplied by it. maxNorm 0 disables clipping (factor 1). Returns the factor.
 */
export function clipFactor(globalNorm: number, maxNorm: number): number {
  if (maxNorm <= 0) return 1;
  const f = maxNorm / (globalNorm + 1e-6);
  return f < 1 ? f : 1;
}

export function scaleInPlace(a: FloatArray, factor: number): void {
  if (factor === 1) return;
  for (let i = 0; i < a.length; i++) a[i] = a[i] * factor;
}

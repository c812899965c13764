import type { FloatArray } from '../kernels/types.ts';
import type { ParamTable } from '../model/params.ts';

export interface GradNorms {
  /** L2 norm per tensor, in parameter-table order. */
  perTensor: Float64Array;
  /** L2 norm per layer group (0 = emb, 1…L = blocks, L+1 = head). */
  perLayer: Float64Array;
  global: number;
}

/**
 * L2 norms of a flat buffer laid out by the parameter table (gradients; also weights and
 * moments). Sums of squares in float64: per tensor over its elements in index order; per layer
 * and globally over the tensors' sums of squares in table order.
 */
export function gradNorms(grads: ArrayLike<number>, table: Pick<ParamTable, 'tensors' | 'nLayerGroups'>): GradNorms {
  const perTensor = new Float64Array(table.tensors.length);
  const layerSq = new Float64Array(table.nLayerGroups);
  let globalSq = 0;
  table.tensors.forEach((t, i) => {
    let sq = 0;
    const end = t.offset + t.size;
    for (let j = t.offset; j < end; j++) sq += grads[j] * grads[j];
    perTensor[i] = Math.sqrt(sq);
    layerSq[t.layer] += sq;
    globalSq += sq;
  });
  return { perTensor, perLayer: layerSq.map(Math.sqrt), global: Math.sqrt(globalSq) };
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

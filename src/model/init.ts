import { keyedStream } from '../rng/keyed.ts';
import type { FloatArray } from '../kernels/types.ts';
import type { ModelConfig } from './params.ts';
import type { ParamTable } from '../layout/table.ts';

/**
 * Initial parameters: each tensor draws from its own stream `init/<name>`, so toggling one part
 * of the model (layer norm off, say) leaves every other tensor's initial values unchanged.
 */
export function initParams(params: FloatArray, table: ParamTable, m: ModelConfig, seed: number): void {
  const projStd = m.initScheme === 'gpt2' ? m.initStd / Math.sqrt(2 * m.nLayers) : m.initStd;
  for (const t of table.tensors) {
    const view = params.subarray(t.offset, t.offset + t.size);
    if (/\.ln\d?\.weight$|^ln_f\.weight$/.test(t.name)) view.fill(1);
    else if (t.name.endsWith('.bias')) view.fill(0);
    else {
      const std = /attn\.proj\.weight$|mlp\.proj\.weight$/.test(t.name) ? projStd : m.initStd;
      const rng = keyedStream(seed, 'init', t.name);
      for (let i = 0; i < t.size; i++) view[i] = rng.normal() * std;
    }
  }
}

import type { HeaderRecord } from '../log/records.ts';
import type { ReplayState } from './state.ts';
import type { NamedTensor } from './safetensors.ts';

/** The state's parameters and optimizer buffers as named tensors (DESIGN.md names). */
export function namedTensors(h: HeaderRecord, s: ReplayState): NamedTensor[] {
  const out: NamedTensor[] = h.params.map((p) => ({ name: p.name, shape: p.shape, data: s.params.subarray(p.offset, p.offset + p.size) }));
  const kind = h.config.optim.kind;
  if (s.m.length) {
    const prefix = kind === 'momentum' ? 'optim.momentum' : 'optim.m';
    for (const p of h.params) out.push({ name: `${prefix}.${p.name}`, shape: p.shape, data: s.m.subarray(p.offset, p.offset + p.size) });
  }
  if (s.v.length) for (const p of h.params) out.push({ name: `optim.v.${p.name}`, shape: p.shape, data: s.v.subarray(p.offset, p.offset + p.size) });
  return out;
}

/** safetensors metadata: every value a string; `config` is the run's whole config as JSON. */
export function exportMetadata(h: HeaderRecord, s: ReplayState): Record<string, string> {
  return {
    format: 'weft',
    weft: h.weft,
    scenario: h.scenario,
    step: String(s.step),
    'optim.t': String(s.optimT),
    'optim.kind': h.config.optim.kind,
    seed: String(h.seed),
    config: JSON.stringify(h.config),
    stateHash: s.stateHash,
  };
}

/** L2 norm per layer group of one flat buffer (sums of squares in table order). */
export function normsPerLayer(h: HeaderRecord, a: ArrayLike<number>): number[] {
  if (a.length === 0) return [];
  const groups = h.config.model.nLayers + 2;
  const sq = new Float64Array(groups);
  for (const p of h.params) {
    let s = 0;
    for (let i = p.offset; i < p.offset + p.size; i++) s += a[i] * a[i];
    sq[p.layer] += s;
  }
  return Array.from(sq, Math.sqrt);
}

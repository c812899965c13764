import { gradNorms } from '../optim/clip.ts';
import { optimizerOf } from '../optim/registry.ts';
import { paramTable, type HeaderRecord } from '../log/records.ts';
import type { ReplayState } from './state.ts';
import type { TrainingState } from '../engine/trainer.ts';
import type { NamedTensor } from './safetensors.ts';

/** The state's parameters and optimizer buffers as named tensors (DESIGN.md names). */
export function namedTensors(h: HeaderRecord, s: TrainingState): NamedTensor[] {
  const out: NamedTensor[] = h.params.map((p) => ({ name: p.name, shape: p.shape, data: s.params.subarray(p.offset, p.offset + p.size) }));
  // the optimizer's buffers under the names it gives them (optim.m.*, optim.momentum.*, …)
  const names = optimizerOf(h.config.optim.kind).buffers;
  for (const [slot, data] of [['m', s.m], ['v', s.v]] as const) {
    if (!data.length) continue;
    for (const p of h.params) out.push({ name: `optim.${names[slot] ?? slot}.${p.name}`, shape: p.shape, data: data.subarray(p.offset, p.offset + p.size) });
  }
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

/** L2 norm per layer group of one flat buffer (empty for an absent optimizer buffer). */
export function normsPerLayer(h: HeaderRecord, a: ArrayLike<number>): number[] {
  if (a.length === 0) return [];
  return Array.from(gradNorms(a, paramTable(h)).perLayer);
}

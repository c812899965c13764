import { dropoutMasks, unpackBits } from '../engine/masks.ts';
import { decodeBytes } from './codec.ts';
import { f64From, viewAs } from './format.ts';
import type { HeaderRecord, StepRecordBody } from './records.ts';

/** A step record with its scalars and small arrays decoded. */
export interface StepView {
  step: number;
  inputs: Int32Array;
  targets: Int32Array;
  loss: number;
  lr: number;
  gradNorm: { global: number; perLayer: Float64Array; perTensor: Float64Array };
  clipFactor: number;
  optimT: number;
  stateHash: string;
}

export function stepView(r: StepRecordBody): StepView {
  return {
    step: r.step,
    inputs: viewAs(r.inputs, Int32Array),
    targets: viewAs(r.targets, Int32Array),
    loss: f64From(r.loss),
    lr: f64From(r.lr),
    gradNorm: { global: f64From(r.gradNormGlobal), perLayer: viewAs(r.gradNormPerLayer, Float64Array), perTensor: viewAs(r.gradNormPerTensor, Float64Array) },
    clipFactor: f64From(r.clipFactor),
    optimT: r.optimT,
    stateHash: r.stateHash,
  };
}

/**
 * The step's dropout keep-masks by site: decoded when stored, regenerated from the seed when the
 * log is compact (they are a pure function of seed and step), null without dropout.
 */
export function stepMasks(h: HeaderRecord, r: StepRecordBody): Map<string, Uint8Array> | null {
  if (h.config.model.dropout === 0) return null;
  if (!r.masks) {
    if (h.mode !== 'compact') return null;
    return dropoutMasks(h.seed, r.step, h.config.model.nLayers, h.maskElements, h.config.model.dropout);
  }
  const n = h.maskElements * h.dropoutSites.length;
  const all = unpackBits(decodeBytes(r.masks, (n + 7) >> 3), n);
  return new Map(h.dropoutSites.map((s, i) => [s, all.subarray(i * h.maskElements, (i + 1) * h.maskElements)]));
}

import { dropoutMasks, unpackBits } from '../rng/masks.ts';
import { decodeBytes } from './codec.ts';
import { decodeStep, type StepView } from './fields.ts';
import type { HeaderRecord, StepRecordBody } from './records.ts';

export type { StepView };

/** A step record with its scalars and small arrays decoded (fields.ts decodeStep). */
export const stepView = decodeStep;

/**
 * The step's dropout keep-masks by site: decoded when stored, regenerated from the seed when the
 * log is compact (they are a pure function of seed and step), null without dropout.
 */
export function stepMasks(h: HeaderRecord, r: StepRecordBody): Map<string, Uint8Array> | null {
  if (h.config.model.dropout === 0) return null;
  if (!r.masks) {
    if (h.mode !== 'compact') return null;
    return dropoutMasks(h.seed, r.step, h.dropoutSites, h.maskElements, h.config.model.dropout);
  }
  const n = h.maskElements * h.dropoutSites.length;
  const all = unpackBits(decodeBytes(r.masks, (n + 7) >> 3), n);
  return new Map(h.dropoutSites.map((s, i) => [s, all.subarray(i * h.maskElements, (i + 1) * h.maskElements)]));
}

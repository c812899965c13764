import type { WeftConfig } from '../config/config.ts';
import { optimBuffers } from '../optim/registry.ts';
import type { Trainer } from './trainer.ts';

/**
 * Coded size of one float32 array, as a fraction of its raw bytes, measured on the baseline and
 * fabric-bench (scripts/bench-log.ts): a keyframe's arrays, a compact step's gradient, a full
 * step's differences, and bit-packed dropout masks (p = 0.1).
 */
const KEYFRAME_RATIO = 0.82;
const GRAD_RATIO = 0.86;
const DELTA_RATIO = 0.68;
const MASK_RATIO = 0.6;

/** Steps at which a run of `steps` steps writes keyframes: the start, every interval, the end. */
export function keyframeCount(steps: number, every: number): number {
  return 1 + Math.floor(steps / every) + (steps % every ? 1 : 0);
}

/**
 * What a log of this config will take on disk, roughly (±20%): for a warning before training.
 * The model's shape is the trainer's (its table, its dropout sites and their mask sizes).
 */
export function estimateLogBytes(config: WeftConfig, shape: Pick<Trainer, 'table' | 'dropoutSites' | 'maskElements'>, fromStep = 0): { total: number; perStep: number } {
  const paramCount = shape.table.total;
  const raw = 4 * paramCount;
  const b = optimBuffers(config.optim.kind);
  const arrays = 1 + Number(b.m) + Number(b.v);
  const m = config.model;
  const maskBytes = m.dropout > 0 ? ((shape.dropoutSites.length * shape.maskElements) / 8) * MASK_RATIO : 0;
  // the batch, and a norm per tensor and per layer group
  const scalars = 2 * config.data.batchSize * m.contextLength * 4 + 8 * (paramCount > 0 ? shape.table.tensors.length + shape.table.nLayerGroups : 0) + 256;
  const mode = config.record.mode;
  const perStep = scalars + (mode === 'compact' ? GRAD_RATIO * raw : maskBytes) + (mode === 'full' ? DELTA_RATIO * arrays * raw : 0);
  const steps = Math.max(0, config.steps - fromStep);
  const keyframes = keyframeCount(steps, config.record.keyframeEvery);
  return { total: Math.round(steps * perStep + keyframes * KEYFRAME_RATIO * arrays * raw), perStep: Math.round(perStep) };
}

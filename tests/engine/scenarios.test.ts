import { describe, expect, it } from 'vitest';
import { Trainer, type StepRecord } from '../../src/engine/trainer.ts';
import { scenarioNames } from '../../src/cli/scenarios.ts';
import { runTraining } from '../../src/engine/run.ts';
import { buildParamTable } from '../../src/model/gpt.ts';
import { DEFAULT_CONFIG, FABRIC, TINY } from '../../src/config/config.ts';
import { tinyConfig } from '../helpers.ts';

async function train(name: string, steps: number): Promise<StepRecord[]> {
  const t = new Trainer(await tinyConfig(name, steps));
  const recs: StepRecord[] = [];
  runTraining(t, steps, [{ onStep: (r) => recs.push({ ...r, gradNorm: { ...r.gradNorm, perLayer: r.gradNorm.perLayer.slice() } }) }]);
  return recs;
}

/** Layer-1 gradient norm over the last layer's (blocks.0 vs blocks.{L−1}), averaged over the last 5 steps. */
function firstToLastLayer(recs: StepRecord[]): number {
  const tail = recs.slice(-5);
  const L = tail[0].gradNorm.perLayer.length - 2;
  return tail.reduce((s, r) => s + r.gradNorm.perLayer[1] / r.gradNorm.perLayer[L], 0) / tail.length;
}

describe('scenarios', () => {
  it('the reference sizes have the parameter counts DESIGN.md states', () => {
    expect(buildParamTable({ ...DEFAULT_CONFIG.model, ...TINY }).total).toBe(30_144);
    expect(buildParamTable({ ...DEFAULT_CONFIG.model, ...FABRIC, vocabSize: 64 }).total).toBe(609_216);
  });

  it.each(scenarioNames())('%s runs to completion on the tiny config', async (name) => {
    const recs = await train(name, 8);
    expect(recs.length).toBeGreaterThan(0);
    for (const r of recs.slice(0, -1)) expect(r.anomaly).toBeNull();
    if (name !== 'exploding-gradients') expect(recs.length).toBe(8);
  });

  it('no-residuals starves the first layer relative to the last, unlike baseline', async () => {
    const base = firstToLastLayer(await train('baseline', 30));
    const noRes = firstToLastLayer(await train('no-residuals', 30));
    expect(noRes).toBeLessThan(base / 10);
  });

  it('exploding-gradients: the global gradient norm grows by orders of magnitude, then NaN/Inf is reported cleanly', async () => {
    const recs = await train('exploding-gradients', 60);
    const first = recs[0].gradNorm.global;
    const finite = recs.filter((r) => Number.isFinite(r.gradNorm.global)).map((r) => r.gradNorm.global);
    expect(Math.max(...finite) / first).toBeGreaterThan(1000);
    const last = recs[recs.length - 1];
    expect(last.anomaly).not.toBeNull();
    expect(last.anomaly!.step).toBe(last.step);
    expect(last.anomaly!.tensor).toMatch(/^(blocks\.\d+|emb|head|ln_f|tok_emb|pos_emb)/);
  });

  it('clipping keeps every update bounded by clip.maxNorm and the run finite', async () => {
    const recs = await train('clipping', 60);
    expect(recs.length).toBe(60);
    for (const r of recs) {
      expect(r.anomaly).toBeNull();
      expect(r.gradNorm.global * r.clipFactor).toBeLessThanOrEqual(1 + 1e-9);
    }
    expect(recs.some((r) => r.clipFactor < 1)).toBe(true);
  });
});

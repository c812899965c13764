import { configFromFlags } from '../engine/overrides.ts';
import { loadScenario } from '../engine/scenarios.ts';
import { runSweep, type RunSweepOptions } from './execute.ts';
import type { SweepManifest } from './manifest.ts';
import { planSweep, type SweepPlan, type SweepSpec } from './plan.ts';

/** A sweep's plan from its spec: the scenario loaded, its overrides applied, every combination checked. */
export async function sweepPlan(spec: SweepSpec): Promise<SweepPlan> {
  const scenario = await loadScenario(spec.scenario);
  const base = configFromFlags(scenario.config, { model: spec.model, set: spec.sets, steps: spec.steps, record: spec.record });
  return planSweep(spec, base, scenario.name);
}

/**
 * Runs a sweep (or one shard of it) into `out`: the programmatic `weft sweep`. Resolves to the
 * manifest, as DIR/sweep.json holds it.
 *
 *   await sweep({ scenario: 'no-residuals', seeds: [1, 2], grid: [{ key: 'optim.lr', values: ['0.001', '0.003'] }], sets: [] }, { out: 'runs/sweep', jobs: 2, shard: null })
 */
export async function sweep(spec: SweepSpec, options: RunSweepOptions): Promise<SweepManifest> {
  return runSweep(await sweepPlan(spec), options);
}

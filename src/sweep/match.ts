import { configDifferences } from '../diff/config-diff.ts';
import type { EndRecord } from '../log/records.ts';
import type { LogReader } from '../log/reader.ts';
import { canonicalJson, type PlannedRun, type SweepPlan } from './plan.ts';

const shown = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v));

/**
 * How a log's header differs from the run the plan gives its place — the scenario, the seed, the
 * whole config (steps included), a fresh start — or null when it is that run's. Read from the
 * header alone, so a log of another run is named before any of its damage is.
 */
export function headerMismatch(log: LogReader, plan: Pick<SweepPlan, 'scenarioName'>, run: PlannedRun): string | null {
  const h = log.header;
  if (h.scenario !== plan.scenarioName) return `it is a run of scenario ${h.scenario}, the sweep's is ${plan.scenarioName}`;
  if (h.seed !== run.config.seed) return `its seed is ${h.seed}, the run's is ${run.config.seed}`;
  if (canonicalJson(h.config) !== canonicalJson(run.config)) {
    // configDifferences compares arrays by identity: keep only the keys whose values differ
    const d = configDifferences(h.config, run.config).find((x) => canonicalJson(x.a) !== canonicalJson(x.b));
    return d ? `its config has ${d.key} ${shown(d.a)}, the run's ${shown(d.b)}` : 'its config differs from the run\'s';
  }
  if (h.startStep !== 0 || h.parent) return `it continues another log from step ${h.startStep} (a fork or a resume into a new file), the run starts at step 0`;
  return null;
}

/** How a log's steps and end record differ from the run's (its header already matching), or null. */
export function stepsMismatch(log: LogReader, end: EndRecord | null, run: PlannedRun): string | null {
  const planned = run.config.steps;
  if (log.lastStep > planned) return `it holds steps up to ${log.lastStep}, the run has ${planned}`;
  if (end && end.reason === 'completed' && end.steps !== planned) return `it completed after ${end.steps} steps, the run has ${planned}`;
  return null;
}

import { createHash } from 'node:crypto';
import { canonicalConfig } from '../config/evolution.ts';
import { UsageError } from '../errors.ts';
import { applySets, type WeftConfig } from '../config/config.ts';

/** What a sweep is: a scenario, its overrides, and the settings it varies. */
export interface SweepSpec {
  /** a scenario name (scenarios/) or a path to a scenario file, as `weft run` takes it */
  scenario: string;
  /** the seeds, each a run of every grid combination */
  seeds: number[];
  /** config keys and the values each takes (the cartesian product of all) */
  grid: { key: string; values: string[] }[];
  /** `--set key=value` overrides of every run */
  sets: string[];
  /** `weft run`'s --model, --steps and --record, when given */
  model?: string;
  steps?: number;
  record?: string;
}

/** One run of a sweep: its settings, where its log goes, and the `weft run` that makes it. */
export interface PlannedRun {
  /** stable: from the settings alone (sorted keys), never from the order of flags */
  id: string;
  /** the varied settings: seed and each grid key, with the config's typed values */
  settings: Record<string, number | string | boolean>;
  /** `weft run` arguments without --out (what a person types to make the same log by hand) */
  args: string[];
  /** the log, relative to the sweep's folder */
  log: string;
  /** the whole config `weft run` gives this run: what its log's header must hold */
  config: WeftConfig;
}

export interface SweepPlan {
  /** identifies the sweep: a hash of the scenario, the whole base config and the grid; shards of one sweep share it */
  sweepId: string;
  spec: SweepSpec;
  /** the scenario's own name, as its runs' log headers hold it (spec.scenario may be a path) */
  scenarioName: string;
  /** the seeds ascending, each once */
  seeds: number[];
  /** the grid as the plan reads it: keys in name order, values ascending (as typed) */
  grid: { key: string; values: string[] }[];
  runs: PlannedRun[];
}

/** `1-10`, `1,3,7`, `1-3,9`: the seeds, ascending, each once. */
export function parseSeeds(s: string): number[] {
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new UsageError(`--seeds ${JSON.stringify(s)}: expected seeds like 1-10 or 1,3,7`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || b < a) throw new UsageError(`--seeds ${JSON.stringify(part.trim())}: a range goes from low to high`);
    if (b - a >= 10_000) throw new UsageError(`--seeds ${JSON.stringify(part.trim())}: more than 10,000 seeds`);
    for (let x = a; x <= b; x++) out.add(x);
  }
  return [...out].sort((x, y) => x - y);
}

/** `key=v1,v2,…`: a grid axis; an empty list or a repeated value is refused. */
export function parseGrid(s: string): { key: string; values: string[] } {
  const eq = s.indexOf('=');
  if (eq <= 0) throw new UsageError(`--grid ${JSON.stringify(s)}: expected key=v1,v2,…`);
  const key = s.slice(0, eq).trim();
  const values = s.slice(eq + 1).split(',').map((v) => v.trim());
  if (values.some((v) => v === '')) throw new UsageError(`--grid ${key}: an empty value in ${JSON.stringify(s.slice(eq + 1))}`);
  if (new Set(values).size !== values.length) throw new UsageError(`--grid ${key}: a value given twice`);
  return { key, values };
}

/** `i/n`, 1 ≤ i ≤ n. */
export function parseShard(s: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  if (!m) throw new UsageError(`--shard ${JSON.stringify(s)}: expected i/n, e.g. 1/4`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new UsageError(`--shard ${s}: i must be between 1 and n (${count >= 1 ? `1…${count}` : 'n ≥ 1'})`);
  return { index, count };
}

/**
 * The most runs one sweep plans. A sweep rewrites its whole manifest after every run (so that a
 * kill at any moment leaves one that matches its logs), so its bookkeeping grows with the square
 * of the run count. Measured at 10,000 runs: a rewrite is 4.6 MB and ≈ 36 ms, a fourteenth of a
 * whole tiny 60-step run (≈ 0.5 s, scripts/bench-sweep.ts), and ≈ 46 GB of manifests are written
 * over the sweep; at 100,000 a rewrite would outlast a tiny run and the writes reach terabytes.
 * The bound also comes before the plan is built in memory (a cartesian product: ten axes of ten
 * values are 10^10 runs). A larger study is several sweeps.
 */
export const SWEEP_RUNS_MAX = 10_000;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** JSON with object keys sorted: the same text for the same value, whatever order it was built in. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}

/** A value of a config key, read back from a config (after --set parsed it). */
function configValue(c: WeftConfig, key: string): number | string | boolean {
  let node: unknown = c;
  for (const k of key.split('.')) node = (node as Record<string, unknown>)[k];
  return node as number | string | boolean;
}

/** Orders settings values: numbers numerically, the rest as text. */
function compareValues(a: number | string | boolean, b: number | string | boolean): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** A run's id: its settings as `key=value` joined by commas, keys sorted; a hash when that is not a safe file name. */
export function runId(settings: Record<string, number | string | boolean>): string {
  const text = Object.keys(settings).sort().map((k) => `${k}=${settings[k]}`).join(',');
  return /^[A-Za-z0-9._=,+-]{1,120}$/.test(text) ? text : `run-${sha(canonicalJson(settings)).slice(0, 16)}`;
}

/**
 * The runs of a sweep: every seed × grid combination, each checked by applying its settings to
 * the base config (an unknown key or a bad value is the ConfigError `weft run --set` gives), in
 * an order fixed by the settings (seeds, then grid keys in name order, values ascending) — the
 * same for any order of flags.
 */
export function planSweep(spec: SweepSpec, base: WeftConfig, scenarioName: string = spec.scenario): SweepPlan {
  if (!spec.seeds.length) throw new UsageError('--seeds: no seeds');
  const seeds = [...new Set(spec.seeds)].sort((a, b) => a - b);
  for (const s of seeds) if (!Number.isSafeInteger(s) || s < 0) throw new UsageError(`--seeds: ${s} is not a whole number ≥ 0`);
  // before anything is built: the product is counted, not enumerated
  const total = spec.grid.reduce((n, g) => n * g.values.length, seeds.length);
  if (total > SWEEP_RUNS_MAX) {
    const factors = [`${seeds.length} seed${seeds.length === 1 ? '' : 's'}`, ...spec.grid.map((g) => `${g.values.length} ${g.key}`)].join(' × ');
    throw new UsageError(`the sweep plans ${factors} = ${total.toLocaleString('en-US')} runs, more than the ${SWEEP_RUNS_MAX.toLocaleString('en-US')} one sweep holds (it rewrites its manifest after every run); split it into several sweeps, e.g. by --seeds, each with its own --out`);
  }
  const keys = spec.grid.map((g) => g.key);
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup) throw new UsageError(`--grid ${dup}: given twice`);
  if (keys.includes('seed')) throw new UsageError('--grid seed: seeds are --seeds');
  // weft run applies --steps and --record after every --set: the grid's values would be lost
  if (spec.steps !== undefined && keys.includes('steps')) throw new UsageError('--grid steps: the steps are also given by --steps; give one of them');
  if (spec.record !== undefined && keys.includes('record.mode')) throw new UsageError('--grid record.mode: the mode is also given by --record; give one of them');
  const grid = [...spec.grid].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  // each axis's values as the config types them, checked one at a time (the error names the value)
  const typed = grid.map((g) => ({
    key: g.key,
    values: g.values.map((v) => ({ raw: v, value: configValue(applySets(base, [`${g.key}=${v}`]), g.key) })).sort((a, b) => compareValues(a.value, b.value)),
  }));
  for (const t of typed) {
    const same = t.values.find((v, i) => i > 0 && v.value === t.values[i - 1].value);
    if (same) throw new UsageError(`--grid ${t.key}: two values read as ${JSON.stringify(same.value)}`);
  }
  let combos: { settings: Record<string, number | string | boolean>; sets: string[] }[] = [{ settings: {}, sets: [] }];
  for (const t of typed) combos = combos.flatMap((c) => t.values.map((v) => ({ settings: { ...c.settings, [t.key]: v.value }, sets: [...c.sets, `${t.key}=${v.raw}`] })));
  const common = [...(spec.model ? ['--model', spec.model] : []), ...(spec.steps !== undefined ? ['--steps', String(spec.steps)] : []), ...(spec.record ? ['--record', spec.record] : []), ...spec.sets.flatMap((s) => ['--set', s])];
  const runs: PlannedRun[] = [];
  for (const seed of seeds) {
    for (const c of combos) {
      const settings = { seed, ...c.settings };
      const config = applySets(base, [`seed=${seed}`, ...c.sets]); // the combination as a whole is a valid config
      const id = runId(settings);
      runs.push({ id, settings, args: ['run', spec.scenario, '--seed', String(seed), ...common, ...c.sets.flatMap((s) => ['--set', s])], log: `runs/${id}.weft`, config });
    }
  }
  // the base config as stored (config/evolution.ts): a key added since moves no sweep's id
  const sweepId = sha(canonicalJson({ scenario: spec.scenario, base: canonicalConfig(base), seeds, grid: typed.map((t) => ({ key: t.key, values: t.values.map((v) => v.value) })) })).slice(0, 16);
  return { sweepId, spec, scenarioName, seeds, grid: typed.map((t) => ({ key: t.key, values: t.values.map((v) => v.raw) })), runs };
}

/** Shard i of n: every n-th run of the plan's order from the i-th (a partition: each run in exactly one shard). */
export function shardOf<T>(runs: T[], shard: { index: number; count: number } | null): T[] {
  return shard ? runs.filter((_, i) => i % shard.count === shard.index - 1) : runs;
}

import { copyFileSync, existsSync, linkSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LogFormatError, UsageError } from '../errors.ts';
import { logOutcome } from './execute.ts';
import { MANIFEST_FILE, readManifest, writeManifest, type ManifestRun, type SweepManifest } from './manifest.ts';
import type { PlannedRun, SweepPlan } from './plan.ts';
import { sweepPlan } from './sweep.ts';

/** The fields that define a sweep: equal in every shard of one. */
const DEFINITION = ['sweepId', 'scenario', 'seeds', 'grid', 'sets', 'model', 'steps', 'record'] as const;

/** The sweep a manifest defines, planned again from its scenario as it is now: it must be the sweep the manifest names. */
async function replan(dir: string, m: SweepManifest): Promise<SweepPlan> {
  const plan = await sweepPlan({
    scenario: m.scenario, seeds: m.seeds, grid: m.grid, sets: m.sets,
    ...(m.model !== null ? { model: m.model } : {}), ...(m.steps !== null ? { steps: m.steps } : {}), ...(m.record !== null ? { record: m.record } : {}),
  });
  if (plan.sweepId !== m.sweepId) {
    throw new UsageError(`${join(dir, MANIFEST_FILE)}: sweep ${m.sweepId}, but ${m.scenario} as it is now plans sweep ${plan.sweepId} (its scenario file or weft changed since the shards ran); merge with the weft and scenario that ran them`);
  }
  return plan;
}

// the runs whose logs are results (or resumable), and so merged and checked; a failed or pending run's log is not carried over
const CARRIED: ReadonlySet<ManifestRun['status']> = new Set(['complete', 'diverged', 'incomplete']);

/**
 * Checks that a shard's log is the one its manifest describes: the reader's whole-log check, the
 * planned run's scenario, config, seed and steps, and the manifest entry's status, steps and
 * final state hash. Damage is the reader's error (exit 3); anything else a UsageError (exit 2).
 */
function checkShardLog(dir: string, plan: SweepPlan, planned: Map<string, PlannedRun>, r: ManifestRun, busy: 'refuse' | 'allow' = 'refuse'): void {
  const path = join(dir, r.log);
  const run = planned.get(r.id);
  if (!run) throw new UsageError(`${join(dir, MANIFEST_FILE)}: run ${r.id} is not one the sweep plans`);
  const said = `${join(dir, MANIFEST_FILE)} says ${r.status} after ${r.steps} steps, state hash ${r.stateHash}`;
  const out = logOutcome(path, plan, run);
  if (out.kind === 'missing') throw new LogFormatError(`${path}: no such file, though ${said}; run that sweep again to repair it`, 3);
  if (out.kind === 'busy') {
    if (busy === 'allow') return;
    throw new UsageError(`${out.fields.error}: merge once that shard's sweep has ended`);
  }
  if (out.kind === 'rerun') throw out.problem!;
  if (out.kind === 'mismatch') throw new UsageError(`${out.problem!.message} (${said}); run that sweep again`);
  const f = out.fields;
  if (f.status !== r.status || f.steps !== r.steps || f.stateHash !== r.stateHash) {
    throw new UsageError(`${path}: the log is ${f.status} after ${f.steps} steps, state hash ${f.stateHash}, but ${said}; run that sweep again`);
  }
}

/**
 * Checks every log a sweep's folder holds as a result against its manifest and plan, as a merge
 * checks a shard's (a report draws them: damage is exit 3, a log not the manifest's exit 2); a
 * run still being written is let be.
 */
export async function checkSweepLogs(dir: string, m: SweepManifest): Promise<void> {
  const plan = await replan(dir, m);
  const planned = new Map(plan.runs.map((x) => [x.id, x]));
  for (const r of m.runs) if (CARRIED.has(r.status)) checkShardLog(dir, plan, planned, r, 'allow');
}

/**
 * Merges the manifests of a sweep's shards (each in its own folder) into one in `out`, the
 * manifest of the whole sweep — equal to the one a sweep run at once writes — with the logs
 * linked (or copied) into out/runs/. Refuses shards of different sweeps, a shard given twice,
 * a run in two shards, a missing shard, and out already holding another sweep. The logs of
 * finished and interrupted runs are carried over, each checked first (checkShardLog) before
 * anything is written; a failed or pending run's log is not (the merged sweep, run again, runs it).
 */
export async function mergeSweeps(dirs: string[], out: string): Promise<SweepManifest> {
  if (!dirs.length) throw new UsageError('sweep merge: expected the shards’ folders');
  const shards = dirs.map((d) => {
    const m = readManifest(d);
    if (!m) throw new UsageError(`${d}: no sweep.json (not a sweep's folder)`);
    if (!m.shard) throw new UsageError(`${d}: holds a whole sweep, not a shard: nothing to merge`);
    return { dir: d, m };
  });
  const first = shards[0];
  for (const s of shards.slice(1)) {
    for (const k of DEFINITION) {
      if (JSON.stringify(s.m[k]) !== JSON.stringify(first.m[k])) {
        throw new UsageError(`${s.dir}: a shard of another sweep than ${first.dir} (${k}: ${JSON.stringify(s.m[k])} vs ${JSON.stringify(first.m[k])})`);
      }
    }
    if (s.m.shard!.count !== first.m.shard!.count) throw new UsageError(`${s.dir}: shard ${s.m.shard!.index}/${s.m.shard!.count}, ${first.dir}: shard ${first.m.shard!.index}/${first.m.shard!.count}: cut into different numbers of shards`);
  }
  const n = first.m.shard!.count;
  const byIndex = new Map<number, (typeof shards)[number]>();
  for (const s of shards) {
    const other = byIndex.get(s.m.shard!.index);
    if (other) throw new UsageError(`shard ${s.m.shard!.index}/${n} given twice: ${other.dir} and ${s.dir}`);
    byIndex.set(s.m.shard!.index, s);
  }
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length) throw new UsageError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${n}`).join(', ')} missing: merge every shard of the sweep`);
  const seen = new Map<string, string>();
  for (const s of shards) {
    for (const r of s.m.runs) {
      const where = seen.get(r.id);
      if (where) throw new UsageError(`run ${r.id} is in two shards (${where} and ${s.dir})`);
      seen.set(r.id, s.dir);
    }
  }
  const existing = readManifest(out);
  if (existing && existing.sweepId !== first.m.sweepId) throw new UsageError(`${join(out, 'sweep.json')}: holds another sweep (id ${existing.sweepId}); choose another --out`);
  // the plan's order: shard i holds every n-th run from the i-th
  const total = shards.reduce((a, s) => a + s.m.runs.length, 0);
  const runs = Array.from({ length: total }, (_, k) => {
    const s = byIndex.get((k % n) + 1)!;
    const r = s.m.runs[Math.floor(k / n)];
    if (!r) throw new UsageError(`${s.dir}: shard ${s.m.shard!.index}/${n} holds fewer runs than the sweep gives it`);
    return { dir: s.dir, r };
  });
  const plan = await replan(first.dir, first.m);
  const planned = new Map(plan.runs.map((x) => [x.id, x]));
  for (const { dir, r } of runs) if (CARRIED.has(r.status)) checkShardLog(dir, plan, planned, r);
  mkdirSync(join(out, 'runs'), { recursive: true });
  for (const { dir, r } of runs) {
    const from = resolve(dir, r.log);
    const to = resolve(out, r.log);
    if (!CARRIED.has(r.status) || from === to || !existsSync(from)) continue;
    rmSync(to, { force: true });
    try {
      linkSync(from, to);
    } catch {
      copyFileSync(from, to); // another file system
    }
  }
  const merged: SweepManifest = { ...first.m, shard: null, runs: runs.map((x) => x.r) };
  writeManifest(out, merged);
  return merged;
}

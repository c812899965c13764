import { copyFileSync, existsSync, linkSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { readManifest, writeManifest, type SweepManifest } from './manifest.ts';

/** The fields that define a sweep: equal in every shard of one. */
const DEFINITION = ['sweepId', 'scenario', 'seeds', 'grid', 'sets', 'model', 'steps', 'record'] as const;

/**
 * Merges the manifests of a sweep's shards (each in its own folder) into one in `out`, the
 * manifest of the whole sweep — equal to the one a sweep run at once writes — with the logs
 * linked (or copied) into out/runs/. Refuses shards of different sweeps, a shard given twice,
 * a run in two shards, a missing shard, and out already holding another sweep.
 */
export function mergeSweeps(dirs: string[], out: string): SweepManifest {
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
  mkdirSync(join(out, 'runs'), { recursive: true });
  for (const { dir, r } of runs) {
    const from = resolve(dir, r.log);
    const to = resolve(out, r.log);
    if (from === to || !existsSync(from)) continue;
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

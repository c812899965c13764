import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, WeftError } from '../errors.ts';
import { lockHolder } from '../log/lock.ts';
import { openLog } from '../log/reader.ts';
import { checkLog } from '../replay/check.ts';
import { stepView } from '../log/steps.ts';
import { jsonNumber } from '../json.ts';
import { PACKAGE_ROOT } from '../package.ts';
import { headerMismatch, stepsMismatch } from './match.ts';
import { emptyManifest, readManifest, writeManifest, type ManifestRun, type SweepManifest } from './manifest.ts';
import { shardOf, type PlannedRun, type SweepPlan } from './plan.ts';

/** What a run's log says: finished (complete or diverged), to be resumed, to be re-run, busy, absent, or another run's. */
export interface LogOutcome {
  kind: 'missing' | 'finished' | 'resume' | 'rerun' | 'busy' | 'mismatch';
  fields: Pick<ManifestRun, 'status' | 'steps' | 'finalLoss' | 'anomaly' | 'stateHash' | 'error'>;
  /** rerun: the log's damage, as the reader raised it; mismatch: how it differs from its run (a UsageError naming the log) */
  problem: WeftError | null;
}

const NOTHING = { steps: null, finalLoss: null, anomaly: null, stateHash: null, error: null };

/**
 * Reads a run's log and checks it is the planned run's: the header's scenario, seed and whole
 * config, then the reader's whole-log check, then its steps. Finished when it closed cleanly (its
 * trailer leads to its index) and its end record says completed or stopped on NaN/Inf;
 * resumable when it was interrupted or killed — also between its end record and its index;
 * to be re-run when it is damaged or not a log; a mismatch when it is another run's log.
 */
export function logOutcome(path: string, plan: Pick<SweepPlan, 'scenarioName'>, run: PlannedRun): LogOutcome {
  if (!existsSync(path)) return { kind: 'missing', fields: { status: 'pending', ...NOTHING }, problem: null };
  const holder = lockHolder(path);
  if (holder) return { kind: 'busy', fields: { status: 'failed', ...NOTHING, error: `${path} is being written by process ${holder.pid} on ${holder.host}` }, problem: null };
  const damaged = (e: WeftError): LogOutcome => ({ kind: 'rerun', fields: { status: 'pending', ...NOTHING, error: e.message }, problem: e });
  const mismatch = (what: string): LogOutcome => {
    const problem = new UsageError(`${path}: not the sweep's run ${run.id}: ${what}`);
    return { kind: 'mismatch', fields: { status: 'pending', ...NOTHING, error: problem.message }, problem };
  };
  let log;
  try {
    log = openLog(path);
  } catch (e) {
    if (e instanceof WeftError) return damaged(e);
    throw e;
  }
  try {
    const other = headerMismatch(log, plan, run);
    if (other) return mismatch(other);
    checkLog(log);
    const end = log.readEnd();
    const steps = stepsMismatch(log, end, run);
    if (steps) return mismatch(steps);
    const last = log.lastStep;
    const lastRecord = log.hasStep(last) ? stepView(log.readStep(last)) : null;
    const anomalies = log.readAnomalies().map(({ step, stage, tensor, index }) => ({ step, stage, tensor, index }));
    const fields = {
      steps: last - log.header.startStep,
      finalLoss: lastRecord ? jsonNumber(lastRecord.loss) : null,
      anomaly: anomalies[0] ?? null,
      stateHash: lastRecord ? lastRecord.stateHash : log.readKeyframe(log.header.startStep).stateHash,
      error: null,
    };
    // an end record without the index after it: killed while closing; weft run --resume closes it
    if (log.indexed && end && end.reason !== 'interrupted') return { kind: 'finished', fields: { status: end.reason === 'non-finite' ? 'diverged' : 'complete', ...fields }, problem: null };
    return { kind: 'resume', fields: { status: 'incomplete', ...fields }, problem: null };
  } catch (e) {
    if (e instanceof WeftError) return damaged(e);
    throw e;
  } finally {
    log.close();
  }
}

export interface SweepProgress {
  total: number;
  /** finished before this invocation (their logs were complete) */
  skipped: number;
  done: number;
  failed: number;
  running: string[];
  /** seconds left at the pace of the runs finished so far, null before the first */
  etaSec: number | null;
  /** the run that just finished, if that is why this is reported */
  finished: ManifestRun | null;
}

export interface RunSweepOptions {
  /** the sweep's folder: sweep.json and runs/ */
  out: string;
  /** runs at a time (each single-threaded when more than one) */
  jobs: number;
  shard: { index: number; count: number } | null;
  onProgress?: (p: SweepProgress) => void;
  /** stops the sweep: no new runs; running ones are interrupted (they close their logs, to be resumed) */
  signal?: AbortSignal;
  /** re-run over logs that are not the sweep's runs (without it the sweep stops on the first, exit 2) */
  force?: boolean;
}

/** The weft command line this process runs as (Node, Bun or Deno on bin/weft.mjs). */
function weftCommand(): string[] {
  const bin = join(PACKAGE_ROOT, 'bin/weft.mjs');
  return (globalThis as { Deno?: unknown }).Deno ? [process.execPath, 'run', '-A', bin] : [process.execPath, bin];
}

/** The last line of a failed run's error output that says what went wrong. */
function lastWords(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return [...lines].reverse().find((l) => l.startsWith('weft')) ?? lines[lines.length - 1] ?? 'no output';
}

/**
 * Runs a sweep's shard in `out`: each run an ordinary `weft run` in its own process, `jobs` at a
 * time. Runs whose logs are finished are skipped, interrupted ones resumed (`--resume`), damaged
 * ones re-run (`--force`); a log that is not its planned run's stops the sweep (UsageError) unless
 * `force`. The manifest is rewritten as each run ends (whole or not at all), so a
 * sweep killed at any moment leaves one that matches its logs; running the same command again
 * completes it.
 */
export async function runSweep(plan: SweepPlan, o: RunSweepOptions): Promise<SweepManifest> {
  if (!Number.isInteger(o.jobs) || o.jobs < 1) throw new UsageError(`--jobs: expected a whole number ≥ 1, got ${o.jobs}`);
  mkdirSync(join(o.out, 'runs'), { recursive: true });
  const previous = readManifest(o.out);
  if (previous && previous.sweepId !== plan.sweepId) {
    throw new UsageError(`${join(o.out, 'sweep.json')}: holds another sweep (${previous.scenario}, sweep id ${previous.sweepId}; this one is ${plan.sweepId}); choose another --out`);
  }
  if (previous && JSON.stringify(previous.shard) !== JSON.stringify(o.shard)) {
    const name = (s: SweepManifest['shard']) => (s ? `shard ${s.index}/${s.count}` : 'the whole sweep');
    throw new UsageError(`${join(o.out, 'sweep.json')}: holds ${name(previous.shard)} of this sweep, not ${name(o.shard)}; choose another --out`);
  }
  const runs = shardOf(plan.runs, o.shard);
  const manifest = emptyManifest(plan, runs, o.shard);
  const entry = new Map(manifest.runs.map((r) => [r.id, r]));
  const todo: { run: PlannedRun; mode: 'fresh' | 'resume' | 'rerun' }[] = [];
  for (const run of runs) {
    const out = logOutcome(join(o.out, run.log), plan, run);
    // another run's log (a leftover of another sweep): neither a result nor to be overwritten unasked
    if (out.kind === 'mismatch' && !o.force) throw new UsageError(`${out.problem!.message}; move it away, or run the sweep with --force to re-run over it`);
    Object.assign(entry.get(run.id)!, out.fields);
    if (out.kind === 'missing') todo.push({ run, mode: 'fresh' });
    else if (out.kind === 'resume') todo.push({ run, mode: 'resume' });
    else if (out.kind === 'rerun' || out.kind === 'mismatch') todo.push({ run, mode: 'rerun' });
  }
  writeManifest(o.out, manifest);
  const progress: SweepProgress = { total: runs.length, skipped: runs.length - todo.length, done: 0, failed: 0, running: [], etaSec: null, finished: null };
  const started = performance.now(); // timing: progress only, never written to the manifest
  o.onProgress?.({ ...progress });
  const children = new Set<ReturnType<typeof spawn>>();
  const stop = () => {
    for (const c of children) c.kill('SIGINT');
  };
  o.signal?.addEventListener('abort', stop);
  const threads = o.jobs > 1 ? ['--threads', '1'] : [];
  let next = 0;
  const worker = async () => {
    while (next < todo.length && !o.signal?.aborted) {
      const { run, mode } = todo[next++];
      const logPath = join(o.out, run.log);
      // resuming: the log's config is the run's, so only the scenario and the log are named; a
      // fresh run or a re-run replaces what the sweep's own folder holds for it (a damaged log,
      // the report files of a log that was deleted) — a log of another run was refused above
      const argv = mode === 'resume'
        ? ['run', run.args[1], '--out', logPath, '--quiet', '--resume', ...threads]
        : [...run.args, '--out', logPath, '--quiet', ...threads, '--force'];
      progress.running.push(run.id);
      o.onProgress?.({ ...progress, running: [...progress.running], finished: null });
      const [cmd, ...pre] = weftCommand();
      // its own process group: a Ctrl-C at the terminal reaches the sweep, which passes on exactly one
      const child = spawn(cmd, [...pre, ...argv], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
      children.add(child);
      let stderr = '';
      child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
      const code = await new Promise<number | null>((resolve) => {
        child.on('close', (c) => resolve(c));
        // not started at all (the runtime gone): a failed run, said in its error
        child.on('error', (err) => {
          stderr += `\nweft sweep: cannot start ${cmd}: ${err.message}`;
          resolve(-1);
        });
      });
      children.delete(child);
      const e = entry.get(run.id)!;
      const out = logOutcome(logPath, plan, run);
      Object.assign(e, out.fields);
      if (code !== 0 && code !== 130 && code !== 143) Object.assign(e, { status: 'failed', error: lastWords(stderr) });
      else if (out.kind !== 'finished' && !(code === 130 || code === 143)) Object.assign(e, { status: 'failed', error: out.fields.error ?? `weft run exited ${code} without finishing its log` });
      progress.running = progress.running.filter((x) => x !== run.id);
      if (e.status === 'failed') progress.failed++;
      else if (e.status !== 'incomplete') progress.done++;
      const finished = progress.done + progress.failed;
      const left = todo.length - finished;
      progress.etaSec = finished ? ((performance.now() - started) / 1000 / finished) * left : null; // timing
      writeManifest(o.out, manifest);
      o.onProgress?.({ ...progress, running: [...progress.running], finished: { ...e } });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.jobs, Math.max(1, todo.length)) }, worker));
  } finally {
    o.signal?.removeEventListener('abort', stop);
  }
  return manifest;
}

import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { checkOutput, writeOutput, type OutputRule } from '../log/output.ts';
import { intFlag, parseCommand } from './args.ts';
import { EXIT } from './errors.ts';
import { fmtDuration, fmtLoss } from './progress.ts';
import { SWEEP_RUNS_MAX } from '../sweep/plan.ts';

export const SWEEP_USAGE = `weft sweep <scenario> --out DIR [--seeds 1-10] [--grid key=v1,v2]… [--set key=value]… [--model M] [--steps N] [--record MODE] [--jobs N] [--shard i/n] [--force] [--dry-run]
weft sweep merge SHARD_DIR… --out DIR
weft sweep report DIR [--html FILE [--force]] [--json]
  Runs a scenario over seeds × grid values: each combination an ordinary weft run (its log
  byte-identical to the same weft run by hand, which the manifest names), N at a time, each on
  one thread when N > 1. DIR/sweep.json is the manifest (schema: docs/sweep.schema.json): per run
  its settings, status, steps, final loss, NaN/Inf, log and final state hash. Running the same
  command again skips finished runs (their logs checked: trailer, index, checksums, and that each
  is its run's: scenario, config, seed, steps), resumes interrupted ones and re-runs damaged ones;
  it stops on a log that is another run's. A run that stops on NaN/Inf is a result (diverged).
  At most ${SWEEP_RUNS_MAX.toLocaleString('en-US')} runs (seeds × grid values) a sweep.
  --seeds S       seeds: 1-10, 1,3,7 or 1-3,9 (default: the scenario's seed)
  --grid k=a,b,…  a config key and its values, repeatable (the cartesian product of all)
  --set, --model, --steps, --record   as weft run, for every run
  --jobs N        runs at a time (default: the cores, ${availableParallelism()} here)
  --shard i/n     only shard i of n (every n-th run from the i-th): one job of a cluster array;
                  weft sweep merge puts the shards' folders together
  --force         re-run over logs in DIR/runs/ that are not this sweep's runs
  --dry-run       list the runs (and their weft run commands), run none
  merge           merges shard folders into DIR (the logs of finished and interrupted runs
                  linked or copied into DIR/runs/, each checked as a sweep checks it): the same
                  manifest as the sweep run at once; refuses shards of different sweeps, a
                  shard twice, a missing shard, a damaged or missing log (exit 3), a log that is
                  another run's or not what its manifest says (exit 2)
  report          one self-contained HTML page: loss by setting (median and spread across seeds),
                  the final gradient-norm profile per setting, divergences, a sortable table;
                  --json for the same numbers (default --html DIR/report.html, the sweep's
                  own, rewritten each time; another FILE that exists is replaced only with
                  --force, and never a log of the sweep)
  exit 0 every run finished (complete or diverged) · 1 some run failed · 2 bad input · 130 Ctrl-C
  (the running runs close their logs; the same command resumes the sweep)`;

const SWEEP_OPTIONS = {
  out: { type: 'string' }, seeds: { type: 'string' }, grid: { type: 'string', multiple: true }, set: { type: 'string', multiple: true },
  model: { type: 'string' }, steps: { type: 'string' }, record: { type: 'string' }, jobs: { type: 'string' }, shard: { type: 'string' },
  'dry-run': { type: 'boolean' }, force: { type: 'boolean' }, html: { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean' },
} as const;

export async function sweepCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, SWEEP_OPTIONS, SWEEP_USAGE, null);
  if (!p) return 0;
  const { values, positionals } = p;
  const [first, ...rest] = positionals;
  if (first === 'merge') return mergeCommand(rest, values);
  if (first === 'report') return reportCommand(rest, values);
  if (!first || rest.length) throw new UsageError(`expected one scenario${rest.length ? `, got ${positionals.length} arguments` : ''}\nusage: ${SWEEP_USAGE.split('\n')[0]}`);
  if (!values.out) throw new UsageError('--out DIR is required: the sweep’s folder (its manifest and logs)');
  const { parseGrid, parseSeeds, parseShard, shardOf } = await import('../sweep/plan.ts');
  const { sweepPlan } = await import('../sweep/sweep.ts');
  const { loadScenario } = await import('../engine/scenarios.ts');
  const jobs = intFlag(values.jobs, '--jobs', 1) ?? availableParallelism();
  const shard = values.shard === undefined ? null : parseShard(String(values.shard));
  const seeds = values.seeds === undefined ? [(await loadScenario(first)).config.seed] : parseSeeds(String(values.seeds));
  const steps = intFlag(values.steps, '--steps', 0);
  const plan = await sweepPlan({
    scenario: first, seeds, grid: ((values.grid as string[] | undefined) ?? []).map(parseGrid), sets: (values.set as string[] | undefined) ?? [],
    ...(values.model !== undefined ? { model: String(values.model) } : {}), ...(steps !== undefined ? { steps } : {}), ...(values.record !== undefined ? { record: String(values.record) } : {}),
  });
  const mine = shardOf(plan.runs, shard);
  const out = String(values.out);
  if (values['dry-run']) {
    process.stdout.write(`sweep ${plan.sweepId}: ${plan.runs.length} runs${shard ? `, shard ${shard.index}/${shard.count}: ${mine.length}` : ''} → ${out}\n`);
    for (const r of mine) process.stdout.write(`  ${r.id.padEnd(40)} weft ${r.args.join(' ')}\n`);
    return EXIT.ok;
  }
  if (!mine.length) {
    process.stderr.write(`weft sweep: shard ${shard!.index}/${shard!.count} of ${plan.runs.length} runs holds none\n`);
  }
  const { runSweep } = await import('../sweep/execute.ts');
  const quiet = Boolean(values.quiet);
  const tty = process.stderr.isTTY;
  const stop = new AbortController();
  let signal: 'SIGINT' | 'SIGTERM' | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signal) process.exit(sig === 'SIGTERM' ? 143 : 130);
    signal = sig === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
    process.stderr.write(`\ninterrupted (${sig}): the running runs close their logs; run the same command to resume (Ctrl-C again to quit at once)\n`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (!quiet) process.stderr.write(`sweep ${plan.sweepId}: ${mine.length} runs${shard ? ` (shard ${shard.index}/${shard.count} of ${plan.runs.length})` : ''}, ${jobs} at a time → ${out}\n`);
  let manifest;
  try {
    manifest = await runSweep(plan, {
      out, jobs, shard, signal: stop.signal, force: Boolean(values.force),
      onProgress: (pr) => {
        if (quiet) return;
        const eta = pr.etaSec === null ? '' : ` · ${fmtDuration(pr.etaSec)} left`;
        const line = `${pr.done + pr.failed + pr.skipped}/${pr.total} done (${pr.skipped} already) · ${pr.running.length} running · ${pr.failed} failed${eta}`;
        const f = pr.finished;
        if (f) {
          const what = f.status === 'failed' ? `failed: ${f.error}` : f.status === 'diverged' ? `diverged: NaN/Inf at step ${f.anomaly?.step}` : f.status === 'incomplete' ? 'interrupted' : `loss ${typeof f.finalLoss === 'number' ? fmtLoss(f.finalLoss) : f.finalLoss} after ${f.steps} steps`;
          process.stderr.write(`${tty ? '\r\x1b[K' : ''}  ${f.id}: ${what}\n`);
        }
        if (tty) process.stderr.write(`\r${line}\x1b[K`);
        else if (f || pr.running.length === 0) process.stderr.write(`${line}\n`);
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (!quiet && tty) process.stderr.write('\n');
  const counts = (s: string) => manifest.runs.filter((r) => r.status === s).length;
  const summary = `${counts('complete')} complete, ${counts('diverged')} diverged, ${counts('failed')} failed${counts('incomplete') + counts('pending') ? `, ${counts('incomplete') + counts('pending')} not finished` : ''}`;
  process.stdout.write(`sweep: ${summary} · manifest ${relative(process.cwd(), join(out, 'sweep.json'))}${signal ? '' : ` · report: npx weft sweep report ${out}`}\n`);
  if (signal) return signal === 'SIGTERM' ? 143 : 130;
  return counts('failed') ? EXIT.differs : EXIT.ok;
}

async function mergeCommand(dirs: string[], values: Record<string, unknown>): Promise<number> {
  if (!values.out) throw new UsageError('sweep merge: --out DIR is required (where the merged sweep goes)');
  if (!dirs.length) throw new UsageError('sweep merge: expected the shards’ folders');
  const { mergeSweeps } = await import('../sweep/merge.ts');
  const m = await mergeSweeps(dirs, String(values.out));
  process.stdout.write(`merged ${dirs.length} shards: ${m.runs.length} runs → ${join(String(values.out), 'sweep.json')}\n`);
  return EXIT.ok;
}

async function reportCommand(dirs: string[], values: Record<string, unknown>): Promise<number> {
  if (dirs.length !== 1) throw new UsageError('sweep report: expected one sweep folder');
  const { sweepReportData, sweepReportHtml, sweepReportJson } = await import('../sweep/report.ts');
  const file = String(values.html ?? join(dirs[0], 'report.html'));
  // DIR/report.html belongs to the sweep, as a run's report to its log: rewritten as runs finish
  const own = resolve(file) === resolve(dirs[0], 'report.html');
  const rule: OutputRule = { force: Boolean(values.force) || own, inputs: [join(dirs[0], 'sweep.json')], flag: '--html' };
  if (!values.json) checkOutput(file, rule); // before reading every log
  // what the report draws is checked first: each finished run's log is the manifest's, intact
  const { checkSweepLogs } = await import('../sweep/merge.ts');
  const { readManifest } = await import('../sweep/manifest.ts');
  const m = readManifest(dirs[0]);
  if (m) await checkSweepLogs(dirs[0], m);
  const d = sweepReportData(dirs[0]);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(sweepReportJson(d), null, 2)}\n`);
    return EXIT.ok;
  }
  writeOutput(file, sweepReportHtml(d), { ...rule, inputs: [...rule.inputs, ...d.runs.map((r) => join(dirs[0], r.log))] });
  process.stdout.write(`report: ${file}\n`);
  return EXIT.ok;
}

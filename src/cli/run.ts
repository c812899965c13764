import { UsageError } from '../engine/errors.ts';
import { applySets, validateConfig, type WeftConfig } from '../engine/config.ts';
import type { Scenario } from '../engine/scenario.ts';
import { runTraining, type RunObserver, type RunResult } from '../engine/run.ts';
import { SummaryObserver, type RunSummary } from '../engine/summary.ts';
import { Trainer } from '../engine/trainer.ts';
import { intFlag, parseCommand } from './args.ts';
import { formatAnomaly, formatSummary } from './format.ts';
import { Progress } from './progress.ts';
import { loadScenario } from './scenarios.ts';
import { Recorder } from '../log/recorder.ts';
import { openLog } from '../log/reader.ts';
import { startResume } from '../replay/fork.ts';
import { runReportHtml } from '../report/html.ts';
import { writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export const RUN_USAGE = `weft run <scenario|file.ts> [--steps N] [--seed S] [--set key=value]... [--out FILE] [--record MODE] [--json] [--quiet]
  Trains a scenario, records every step into a log, and prints a summary: loss first → last and, per layer, the gradient norm.
  <scenario>       a name in scenarios/ (weft run --list), or a path to a scenario .ts file
  --steps N        number of training steps (overrides the scenario)
  --seed S         random seed (overrides the scenario)
  --set key=value  override any config key by its dotted path, repeatable
                   (e.g. --set model.residual=false --set optim.kind=sgd --set clip.maxNorm=0)
  --out FILE       the log to write (default runs/<scenario>.weft); --no-log to write none
  --record MODE    full (every array, every step) | compact (gradients; the rest re-derived
                   on read) | summary (scalars, norms, masks, keyframes); default: the scenario's
  --resume         continue a killed run's log (--out, or runs/<scenario>.weft) from its last
                   complete step; the result equals an uninterrupted run's log
  --json           print the summary as JSON on stdout
  --quiet          no progress output
  --list           list the scenarios and exit`;

export const RUN_OPTIONS = {
  steps: { type: 'string' },
  seed: { type: 'string' },
  set: { type: 'string', multiple: true },
  out: { type: 'string' },
  'no-log': { type: 'boolean' },
  resume: { type: 'boolean' },
  record: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  list: { type: 'boolean' },
} as const;

/** The scenario's config with the command line's overrides applied and validated. */
export function configFromFlags(base: WeftConfig, values: Record<string, unknown>): WeftConfig {
  const sets = [...((values.set as string[] | undefined) ?? [])];
  const steps = intFlag(values.steps, '--steps', 0);
  const seed = intFlag(values.seed, '--seed', 0);
  if (values.record !== undefined) sets.push(`record.mode=${values.record}`);
  if (steps !== undefined) sets.push(`steps=${steps}`);
  if (seed !== undefined) sets.push(`seed=${seed}`);
  return sets.length ? applySets(validateConfig(structuredClone(base)), sets) : base;
}

export interface TrainOutcome {
  result: RunResult;
  summary: RunSummary | null;
  stepsPerSec: number;
  trainer: Trainer;
}

/**
 * Trains with progress on stderr; extra observers (the recorder) see every step. Ctrl-C stops
 * after the current step, so the log closes cleanly; a second Ctrl-C kills at once (the log is
 * still readable up to its last complete step).
 */
export function trainWithProgress(trainer: Trainer, untilStep: number, observers: RunObserver[], quiet: boolean): TrainOutcome {
  const summary = new SummaryObserver();
  const progress = new Progress(untilStep, quiet);
  const first = trainer.stepsDone + 1;
  const progressObserver: RunObserver = { onStep: (rec) => progress.update(rec.step, first, rec.loss) };
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\ninterrupted: stopping after this step (Ctrl-C again to kill)\n');
  };
  process.on('SIGINT', onSigint);
  let result: RunResult;
  try {
    result = runTraining(trainer, untilStep, [...observers, summary, progressObserver], () => interrupted);
  } finally {
    process.off('SIGINT', onSigint);
  }
  progress.done();
  return { result, summary: summary.summary(), stepsPerSec: progress.stepsPerSec(result.stepsDone - first + 1), trainer };
}

export function describeRun(name: string, c: WeftConfig, trainer: Trainer): string {
  const m = trainer.model.cfg;
  return [
    `${name}: ${m.nLayers} layers, d ${m.dModel}, ${m.nHeads} heads, dff ${m.dFF}, V ${m.vocabSize}, T ${m.contextLength}` +
      ` · ${trainer.model.table.total.toLocaleString('en-US')} parameters` +
      `${m.residual ? '' : ' · no residuals'}${m.layerNorm ? '' : ' · no layer norm'} · ${m.activation}`,
    `  ${c.optim.kind} lr ${c.optim.lr}${c.clip.maxNorm > 0 ? ` · clip ${c.clip.maxNorm}` : ''} · batch ${c.data.batchSize}` +
      ` · dropout ${m.dropout} · ${c.data.corpus} corpus · seed ${c.seed} · ${c.steps} steps`,
  ].join('\n');
}

export async function runCommand(argv: string[], scenarioOverride?: Scenario): Promise<number> {
  const p = parseCommand(argv, RUN_OPTIONS, RUN_USAGE, null);
  if (!p) return 0;
  const { values, positionals } = p;
  if (values.list) {
    const { scenarioNames } = await import('./scenarios.ts');
    for (const n of scenarioNames()) {
      const s = await loadScenario(n);
      process.stdout.write(`${n.padEnd(22)} ${s.description}\n`);
    }
    return 0;
  }
  let scenario = scenarioOverride;
  if (!scenario) {
    if (positionals.length !== 1) throw new UsageError(`expected one scenario name, got ${positionals.length}\nusage: ${RUN_USAGE.split('\n')[0]}`);
    scenario = await loadScenario(positionals[0]);
  } else if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
  if (values.out !== undefined && values['no-log']) throw new UsageError('--out and --no-log exclude each other');
  const logPath = values['no-log'] ? null : resolve(String(values.out ?? `runs/${scenario.name}.weft`));
  const quiet = Boolean(values.quiet || values.json);
  let config: WeftConfig;
  let trainer: Trainer;
  let recorder: Recorder | null;
  if (values.resume) {
    if (!logPath) throw new UsageError('--resume needs a log (drop --no-log)');
    if (values.set || values.steps || values.seed || values.record) throw new UsageError('--resume continues the logged run as it was; use weft fork to change its config');
    const log = openLog(logPath);
    try {
      ({ trainer, recorder } = startResume(log));
    } finally {
      log.close();
    }
    config = trainer.config;
    if (!quiet) process.stderr.write(`resuming ${relative(process.cwd(), logPath)} after step ${trainer.stepsDone}\n`);
  } else {
    config = configFromFlags(scenario.config, values);
    trainer = new Trainer(config);
    if (!quiet) process.stderr.write(`${describeRun(scenario.name, config, trainer)}\n${logPath ? `  log ${relative(process.cwd(), logPath) || logPath} (${config.record.mode})\n` : ''}`);
    recorder = logPath ? Recorder.create(logPath, scenario.name, config, trainer) : null;
  }
  let out: TrainOutcome;
  try {
    out = trainWithProgress(trainer, config.steps, recorder ? [recorder] : [], quiet);
  } catch (e) {
    recorder?.writer.abandon(); // what was written stays readable; the reader rebuilds the index
    throw e;
  }
  recorder?.finish(out.result, trainer);
  const report = {
    scenario: scenario.name,
    description: scenario.description,
    log: logPath,
    logBytes: recorder?.writer.bytesWritten ?? null,
    ...out.result,
    summary: out.summary,
  };
  let htmlPath: string | null = null;
  if (logPath) {
    const stem = logPath.replace(/\.weft$/, '');
    writeFileSync(`${stem}.report.json`, `${JSON.stringify(report, null, 2)}\n`);
    htmlPath = `${stem}.html`;
    const log = openLog(logPath);
    try {
      writeFileSync(htmlPath, runReportHtml(log));
    } finally {
      log.close();
    }
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    if (out.summary) process.stdout.write(`${formatSummary(out.summary, out.stepsPerSec)}\n`);
    if (out.result.anomaly) process.stdout.write(`${formatAnomaly(out.result.anomaly)}\n`);
    if (out.result.reason === 'interrupted') process.stdout.write(`interrupted after step ${out.result.stepsDone}\n`);
    if (logPath) {
      const rel = relative(process.cwd(), logPath);
      process.stdout.write(`log: ${rel} (${fmtBytes(recorder!.writer.bytesWritten)}) · report: ${relative(process.cwd(), htmlPath!)}\nnext: npx weft inspect ${rel} · npx weft replay ${rel} --to ${out.result.stepsDone} · npx weft diff ${rel} <other.weft>\n`);
    }
  }
  return 0;
}

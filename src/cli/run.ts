import { EvalRecords, EvaluationsOf } from '../engine/evaluation.ts';
import { evaluationLines, evaluationsJson } from './evals.ts';
import type { Evaluation } from '../log/evals.ts';
import { LogWriteError, UsageError } from '../errors.ts';
import type { WeftConfig } from '../config/config.ts';
import { configFromFlags, MODEL_PRESETS } from '../engine/overrides.ts';
import type { Scenario } from '../engine/scenario.ts';
import { runTrainingAsync, type RunObserver, type RunResult } from '../engine/run.ts';
import { SummaryObserver, type RunSummary } from '../engine/summary.ts';
import { checkExpectations, maskCounts, ScenarioRunBuilder } from '../engine/scenario-run.ts';
import { Trainer } from '../engine/trainer.ts';
import { parseCommand } from './args.ts';
import { formatAnomaly, formatExpectations, formatSummary } from './format.ts';
import { Progress } from './progress.ts';
import { loadScenario } from './scenarios.ts';
import { Recorder } from '../engine/recorder.ts';
import { openLog } from '../log/reader.ts';
import { stepMasks, stepView } from '../log/steps.ts';
import { resumeLogFile } from '../replay/fork.ts';
import { runReportHtml } from '../report/html.ts';
import { weightDecayText } from '../report/series.ts';
import { existsSync, statfsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { configDifferences } from '../diff/config-diff.ts';
import { lockPath } from '../log/lock.ts';
import { checkOutput, writeOutput, type OutputRule } from '../log/output.ts';
import { estimateLogBytes } from '../engine/size.ts';
import type { LogReader } from '../log/reader.ts';
import { EXIT } from './errors.ts';
import { builtInFile, findScenario, projectScenarioDir, projectScenarioNames, scenarioNames } from '../engine/scenarios.ts';
import { describeData } from '../data/registry.ts';

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}

export const RUN_USAGE = `weft run <scenario|file.ts> [--steps N] [--seed S] [--model tiny|fabric] [--set key=value]... [--out FILE] [--force] [--resume [--data PATH]] [--record MODE] [--json] [--quiet] [--check]
  Trains a scenario, records every step into a log, and prints a summary: loss first → last and, per layer, the gradient norm;
  then the scenario's lesson: each of its expectations, ✓ or ✗, checked on this run's steps.
  <scenario>       a name in scenarios/ (weft run --list), or a path to a scenario .ts file
  --steps N        number of training steps (overrides the scenario)
  --seed S         random seed (overrides the scenario)
  --model NAME     tiny (2 layers, d 32, 4 heads, dff 128, V 64: seconds) or fabric (the story's
                   12 layers, d 64, 8 heads, dff 256), applied before --set
  --set key=value  override any config key by its dotted path, repeatable
                   (e.g. --set model.residual=false --set optim.kind=sgd --set clip.maxNorm=0)
  --out FILE       the log to write (default runs/<scenario>.weft, or runs/<scenario>-2.weft, -3, …
                   when that exists); --no-log to write none
  --force          overwrite an existing log and its <stem>.report.json and <stem>.html
                   (never done without it; never a log another process is writing)
  --record MODE    full (every array, every step) | compact (gradients; the rest re-derived
                   on read) | summary (scalars, norms, masks, keyframes); default: the scenario's
  --resume         continue a killed or interrupted run's log (--out, or runs/<scenario>.weft)
                   from its last complete step; the result equals an uninterrupted run's log.
                   The scenario and flags must be those of the logged run. A log killed while
                   closing gets its index; one killed before its first record starts afresh
  --data PATH      with --resume: the log's data.path file moved, a copy with the log's hash
                   (a changed or missing file is exit 2, naming it and both hashes)
  --json           print the summary as JSON on stdout (with expectations: [{text, ok, error?, notChecked?}])
  --quiet          no progress output (the summary and the expectations are still printed: they are results)
  --check          exit 1 when an expectation fails (without it, exit 0 either way: a lesson that
                   does not show is a result, not an error; a run stopped by a signal exits 130/143)
  --list           list the scenarios and exit
  Ctrl-C stops after the current step and closes the log (exit 130); Ctrl-C again quits at once.
  After the last step it stops nothing: the log closes and the report is written (exit 0).`;

export const RUN_OPTIONS = {
  steps: { type: 'string' },
  seed: { type: 'string' },
  model: { type: 'string' },
  set: { type: 'string', multiple: true },
  out: { type: 'string' },
  'no-log': { type: 'boolean' },
  force: { type: 'boolean' },
  resume: { type: 'boolean' },
  record: { type: 'string' },
  data: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  check: { type: 'boolean' },
  list: { type: 'boolean' },
} as const;

export { configFromFlags, MODEL_PRESETS };

export interface TrainOutcome {
  result: RunResult;
  summary: RunSummary | null;
  stepsPerSec: number;
  trainer: Trainer;
  /** The signal that stopped the run (its result is then 'interrupted'). */
  signal: 'SIGINT' | 'SIGTERM' | null;
}

/** Exit codes of a run stopped by a signal, as a shell reports a process killed by it. */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Ctrl-C and SIGTERM from a run's first step until its log is closed and its report written.
 * During training a signal stops the run after the current step: the log closes as interrupted
 * and the command exits 130/143. After the last step — while the log is closed, the report
 * written — there is nothing left to stop: the run closes as if no signal had come, and exits 0
 * (its log says completed; 130/143 promise a log that --resume continues, which a complete one
 * is not). Either way the handlers then step aside, so a second signal ends the process at once,
 * even inside a step (the log stays readable up to its last complete step).
 */
export class RunSignals {
  /** the signal that stopped training */
  signal: 'SIGINT' | 'SIGTERM' | null = null;
  private closing = false;
  private readonly onSignal = (sig: NodeJS.Signals) => {
    this.off();
    if (this.closing) {
      process.stderr.write(`\n${sig} after the last step: the run is complete; closing its log and writing the report first (${sig} again to quit at once)\n`);
    } else {
      this.signal = sig === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
      process.stderr.write(`\ninterrupted (${sig}): stopping after this step and closing the log (Ctrl-C again to quit at once)\n`);
    }
  };

  constructor() {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  get stopRequested(): boolean {
    return this.signal !== null;
  }

  /** Training is over: a signal from now on waits for the log to close. */
  closingLog(): void {
    this.closing = true;
  }

  /** The log is closed: a signal that came during the (synchronous) close is taken in, then the handlers go. */
  async done(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.off();
  }

  private off(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

/**
 * Trains with progress on stderr; extra observers (the recorder) see every step, and `signals`
 * (held until the log is closed) can stop it after any step.
 */
export async function trainWithProgress(trainer: Trainer, untilStep: number, observers: RunObserver[], quiet: boolean, signals: RunSignals): Promise<TrainOutcome> {
  const summary = new SummaryObserver();
  const progress = new Progress(untilStep, quiet, process.stderr, trainer.stepsDone);
  const first = trainer.stepsDone + 1;
  // the held-out loss of the latest evaluation the recorder wrote (config.eval)
  const evals = observers.flatMap((o) => (o instanceof Recorder ? o.contributors : [])).find((c): c is EvalRecords => c instanceof EvalRecords);
  const heldOut = () => (evals?.latest ? { step: evals.latest.step, loss: evals.latest.heldOut.loss } : undefined);
  const progressObserver: RunObserver = { onStep: (rec) => progress.update(rec.step, first, rec.loss, heldOut()) };
  const result = await runTrainingAsync(trainer, untilStep, [...observers, summary, progressObserver], () => signals.stopRequested);
  signals.closingLog();
  progress.done();
  return { result, summary: summary.summary(), stepsPerSec: progress.stepsPerSec(result.stepsDone - first + 1), trainer, signal: signals.signal };
}

/**
 * Tests only: WEFT_TEST_CLOSE_DELAY_MS holds a run between its last step and the close of its
 * log (a window a signal must be able to arrive in). Nothing else reads it.
 */
export async function closeDelayForTests(): Promise<void> {
  const ms = Number(process.env.WEFT_TEST_CLOSE_DELAY_MS ?? 0);
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

/** A failed write of a log, with the command that continues it once it can be written. */
export function withResumeHint(e: unknown, logPath: string, command: string): unknown {
  if (!(e instanceof LogWriteError)) return e;
  const rel = relative(process.cwd(), logPath) || logPath;
  return new LogWriteError(rel, e.systemError, e.lastStep, `to continue once it can be written: ${command} --resume --out ${rel}`);
}

export function describeRun(name: string, c: WeftConfig, trainer: Trainer): string {
  const m = trainer.model.cfg;
  return [
    // without an MLP there is no dff and no activation to name
    `${name}: ${m.nLayers} layer${m.nLayers === 1 ? '' : 's'}, d ${m.dModel}, ${m.nHeads} head${m.nHeads === 1 ? '' : 's'}${m.mlp ? `, dff ${m.dFF}` : ''}, V ${m.vocabSize}, T ${m.contextLength}` +
      ` · ${trainer.model.table.total.toLocaleString('en-US')} parameters` +
      `${m.residual ? '' : ' · no residuals'}${m.layerNorm ? '' : ' · no layer norm'} · ${m.mlp ? m.activation : 'attention only'}`,
    `  ${c.optim.kind} lr ${c.optim.lr}${weightDecayText(c.optim)} · ${c.clip.maxNorm > 0 ? `clip ${c.clip.maxNorm} · ` : ''}batch ${c.data.batchSize}` +
      ` · dropout ${m.dropout} · ${describeData(c.data)}${c.data.trainFraction < 1 ? ` (${+(100 * (1 - c.data.trainFraction)).toFixed(1)}% held out)` : ''} · seed ${c.seed} · ${c.steps} steps` +
      `${c.eval ? ` · evaluated every ${c.eval.every}` : ''}`,
    ...(trainer.data.task.note ? [`  note: ${trainer.data.task.note}`] : []),
  ].join('\n');
}

/** The files written beside a log: `<stem>.report.json` (the run's summary) and `<stem>.html` (its report). */
export function companionPaths(logPath: string): [string, string] {
  const stem = logPath.replace(/\.weft$/, '');
  return [`${stem}.report.json`, `${stem}.html`];
}

/** `runs/<name>.weft`, or the first of `runs/<name>-2.weft`, `-3`, … that no log, writer or report holds yet. */
export function freshLogPath(name: string): string {
  const taken = (p: string) => existsSync(p) || existsSync(lockPath(p)) || companionPaths(p).some((f) => existsSync(f));
  const first = resolve(`runs/${name}.weft`);
  if (!taken(first)) return first;
  for (let n = 2; ; n++) {
    const p = resolve(`runs/${name}-${n}.weft`);
    if (!taken(p)) return p;
  }
}

/** Bytes free for an unprivileged writer on the file system that will hold `path`. */
function freeBytes(path: string): number | null {
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

const WARN_LOG_BYTES = 1024 ** 3;

/** One line before training: the expected size of the log and the room for it; a warning past 1 GiB. */
function sizeLine(trainer: Trainer, logPath: string): string {
  const config = trainer.config;
  const est = estimateLogBytes(config, trainer, trainer.stepsDone);
  const free = freeBytes(logPath);
  let line = `  log ${relative(process.cwd(), logPath) || logPath} (${config.record.mode}, ≈ ${fmtBytes(est.total)}${free !== null ? `; ${fmtBytes(free)} free` : ''})`;
  if (free !== null && est.total > free) line += `\n  warning: the log needs more than the free space; it will stop at a full disk (--record summary is far smaller, --no-log writes none)`;
  else if (est.total > WARN_LOG_BYTES) line += `\n  warning: a log of ≈ ${fmtBytes(est.total)}; --record summary keeps scalars, norms, masks and keyframes in far less`;
  return line;
}

/**
 * A resumed run's lesson covers its steps before the resume too (as an uninterrupted run's
 * does): steps firstStep…untilStep are read from its log, as exact as the run made them.
 */
function addLoggedSteps(lesson: ScenarioRunBuilder, logPath: string, untilStep: number): void {
  const log = openLog(logPath);
  try {
    for (let n = log.firstStep; n <= untilStep; n++) {
      const r = log.readStep(n);
      const v = stepView(r);
      const masks = stepMasks(log.header, r);
      const kept = masks ? maskCounts(masks.values()) : null;
      lesson.add({ step: n, loss: v.loss, gradNormGlobal: v.gradNormGlobal, gradNormPerLayer: v.gradNormPerLayer, clipFactor: v.clipFactor, maskKeptFraction: kept ? kept.kept / kept.total : null });
    }
  } finally {
    log.close();
  }
}

/** Lists the scenarios; a file that fails to load is named with its error, and the others still listed. */
async function listScenarios(): Promise<number> {
  let broken = 0;
  const mine = projectScenarioNames();
  const dir = projectScenarioDir();
  const groups: [string | null, string[]][] = dir ? [[`${relative(process.cwd(), dir) || '.'}/ (this project's)`, mine], ["weft's built-ins", scenarioNames()]] : [[null, scenarioNames()]];
  for (const [title, names] of groups) {
    if (title) process.stdout.write(`${title}\n`);
    const builtIns = title === "weft's built-ins" || !title;
    for (const n of names) {
      // a built-in that the project's scenario of the same name shadows
      const shadowed = builtIns && mine.includes(n);
      try {
        const s = await loadScenario(builtIns ? builtInFile(n) : findScenario(n)!.file);
        process.stdout.write(`${title ? '  ' : ''}${n.padEnd(22)} ${s.description}${shadowed ? ` (yours shadows it; this one: npx weft run ${relative(process.cwd(), builtInFile(n))})` : ''}\n`);
      } catch (e) {
        broken++;
        process.stderr.write(`weft run --list: broken scenario ${(e as Error).message.split('\n')[0]}\n`);
      }
    }
  }
  return broken ? EXIT.usage : EXIT.ok;
}

/**
 * Refuses to resume a log that is not a run of the scenario asked for, or, when config flags are
 * given, whose config differs from the one they make. Without flags the run continues as logged.
 */
function checkResumable(log: LogReader, scenario: Scenario, asked: WeftConfig | null): void {
  const h = log.header;
  const rel = relative(process.cwd(), log.path) || log.path;
  if (h.scenario !== scenario.name) {
    throw new UsageError(`--resume: ${rel} is a run of ${h.scenario}, not ${scenario.name}; to continue it: npx weft run ${h.scenario} --resume --out ${rel}`);
  }
  const d = asked ? configDifferences(h.config, asked) : [];
  if (d.length) {
    const shown = d.slice(0, 4).map((x) => `${x.key}: log ${JSON.stringify(x.a)}, asked ${JSON.stringify(x.b)}`).join('; ');
    throw new UsageError(`--resume: the log's config differs from the one asked (${shown}${d.length > 4 ? `; ${d.length - 4} more` : ''}); drop the flags to continue it as logged`);
  }
}

export async function runCommand(argv: string[], scenarioOverride?: Scenario): Promise<number> {
  const p = parseCommand(argv, RUN_OPTIONS, RUN_USAGE, null);
  if (!p) return 0;
  const { values, positionals } = p;
  if (values.list) return listScenarios();
  let scenario = scenarioOverride;
  if (!scenario) {
    if (positionals.length !== 1) throw new UsageError(`expected one scenario name, got ${positionals.length}\nusage: ${RUN_USAGE.split('\n')[0]}`);
    scenario = await loadScenario(positionals[0]);
  } else if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
  // how a person runs this scenario again (for the resume hint)
  const command = scenarioOverride ? `npx tsx ${relative(process.cwd(), process.argv[1] ?? `scenarios/${scenario.name}.ts`)}` : `npx weft run ${positionals[0]}`;
  if (values.out !== undefined && values['no-log']) throw new UsageError('--out and --no-log exclude each other');
  if (values.force && values.resume) throw new UsageError('--force and --resume exclude each other');
  if (values.data !== undefined && !values.resume) throw new UsageError('--data goes with --resume (a new run reads data.path: --set data.path=FILE)');
  const explicitOut = values.out !== undefined;
  const defaultPath = resolve(`runs/${scenario.name}.weft`);
  const logPath = values['no-log'] ? null : explicitOut ? resolve(String(values.out)) : values.resume || values.force ? defaultPath : freshLogPath(scenario.name);
  const quiet = Boolean(values.quiet || values.json);
  const config = configFromFlags(scenario.config, values);
  // <stem>.report.json and <stem>.html belong to the log: a new log's are new, so existing ones
  // are refused (unless --force) here, before any training or the log's first byte; a resumed
  // run rewrites its own log's. (An existing log without --force: its writer refuses the log.)
  const companions: OutputRule = { force: Boolean(values.force || values.resume), inputs: logPath ? [logPath] : [], flag: '--out' };
  if (logPath && (companions.force || !existsSync(logPath))) for (const f of companionPaths(logPath)) checkOutput(f, companions);
  let trainer: Trainer;
  let recorder: Recorder | null;
  const rel = logPath ? relative(process.cwd(), logPath) || logPath : null;
  try {
    if (values.resume) {
      if (!logPath) throw new UsageError('--resume needs a log (drop --no-log)');
      const flagged = values.set || values.model !== undefined || values.steps !== undefined || values.seed !== undefined || values.record !== undefined;
      const r = resumeLogFile(logPath, { check: (log) => checkResumable(log, scenario, flagged ? config : null), restart: { scenario: scenario.name, config }, dataPath: values.data as string | undefined });
      if (r.kind === 'closed') {
        const line = `${rel}: the run had ended (${r.end.reason} after ${r.end.steps} steps) but was killed before its index was written: the index is written now, and the log is complete`;
        if (values.json) process.stdout.write(`${JSON.stringify({ scenario: scenario.name, log: logPath, closed: true, reason: r.end.reason, stepsDone: r.end.steps }, null, 2)}\n`);
        else process.stdout.write(`${line}\n`);
        return EXIT.ok;
      }
      ({ trainer, recorder } = r);
      if (r.kind === 'restarted') {
        process.stderr.write(`${rel}: no complete record, ${r.found}: its run was killed as it started; restarting it from step 0 with the scenario and flags given (nothing of its config was recorded: they must be those it was started with)\n`);
        if (!quiet) process.stderr.write(`${describeRun(scenario.name, config, trainer)}\n${sizeLine(trainer, logPath)}\n`);
      } else if (!quiet) process.stderr.write(`resuming ${rel} after step ${trainer.stepsDone}\n${sizeLine(trainer, logPath)}\n`);
    } else {
      trainer = new Trainer(config);
      if (logPath && !explicitOut && logPath !== defaultPath && !quiet) {
        process.stderr.write(`runs/${scenario.name}.weft exists: this run writes ${rel} (--out FILE chooses, --force overwrites)\n`);
      }
      recorder = logPath ? Recorder.create(logPath, scenario.name, config, trainer, { overwrite: Boolean(values.force) }) : null;
      if (!quiet) process.stderr.write(`${describeRun(scenario.name, config, trainer)}\n${logPath ? `${sizeLine(trainer, logPath)}\n` : ''}`);
    }
  } catch (e) {
    throw logPath ? withResumeHint(e, logPath, command) : e;
  }
  // the run's lesson: its expectations read the figures of every step it makes
  const lesson = new ScenarioRunBuilder(trainer.config.model.nLayers, 'this run');
  if (logPath && trainer.stepsDone > 0) addLoggedSteps(lesson, logPath, trainer.stepsDone);
  const signals = new RunSignals();
  let out: TrainOutcome;
  let noLogEvals: EvaluationsOf | null = null;
  try {
    // without a log (--no-log) the evaluations are made as the recorder would, for the summary and the expectations
    noLogEvals = !recorder && trainer.config.eval ? new EvaluationsOf(trainer, trainer.config.dtype, trainer.config.eval) : null;
    const evals = noLogEvals;
    const observers: RunObserver[] = recorder ? [recorder, lesson] : [lesson, ...(evals ? [{ onStep: (rec: { step: number }, t: Trainer) => { if (t.stepsDone === rec.step) evals.afterStep(t); } }] : [])];
    out = await trainWithProgress(trainer, trainer.config.steps, observers, quiet, signals);
    await closeDelayForTests();
    recorder?.finish(out.result, trainer);
  } catch (e) {
    recorder?.writer.abandon(); // what was written stays readable; the reader rebuilds the index
    await signals.done();
    throw logPath ? withResumeHint(e, logPath, command) : e;
  }
  // the held-out evaluations the recorder wrote (config.eval), from the log
  let evaluations: Evaluation[] = noLogEvals ? noLogEvals.finish(trainer, out.result) : [];
  if (logPath && trainer.config.eval) {
    const log = openLog(logPath);
    try {
      evaluations = log.readEvals();
    } finally {
      log.close();
    }
  }
  lesson.evaluations = evaluations;
  // (a check that reads a step the run did not make — interrupted, stopped on NaN/Inf — fails with its error)
  const expectations = checkExpectations(scenario.expectations, lesson.run(out.result.anomaly));
  const report = {
    scenario: scenario.name,
    description: scenario.description,
    log: logPath,
    logBytes: recorder?.writer.bytesWritten ?? null,
    ...out.result,
    summary: out.summary,
    expectations,
  };
  (report as Record<string, unknown>).evaluations = evaluationsJson(evaluations);
  let htmlPath: string | null = null;
  if (logPath) {
    const [reportPath, html] = companionPaths(logPath);
    writeOutput(reportPath, `${JSON.stringify(report, null, 2)}\n`, companions);
    htmlPath = html;
    const log = openLog(logPath);
    try {
      writeOutput(htmlPath, runReportHtml(log), companions);
    } finally {
      log.close();
    }
  }
  await signals.done(); // the log is closed and the report written: a signal may now end the process
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    if (out.summary) process.stdout.write(`${formatSummary(out.summary, out.stepsPerSec)}\n`);
    for (const line of evaluationLines(evaluations, '')) process.stdout.write(`${line}\n`);
    if (out.result.anomaly) process.stdout.write(`${formatAnomaly(out.result.anomaly)}\n`);
    if (rel) {
      process.stdout.write(`log: ${rel} (${fmtBytes(recorder!.writer.bytesWritten)}) · report: ${relative(process.cwd(), htmlPath!)}\n`);
      if (out.result.reason !== 'interrupted') {
        process.stdout.write(`next: npx weft inspect ${rel} · npx weft replay ${rel} --to ${out.result.stepsDone} · npx weft diff ${rel} <other.weft>\n`);
      }
    }
    if (expectations.length) process.stdout.write(`${formatExpectations(expectations)}\n`);
  }
  if (out.result.reason === 'interrupted') {
    const again = rel ? `; to continue: ${command} --resume --out ${rel}` : '';
    process.stderr.write(`interrupted after step ${out.result.stepsDone}${again}\n`);
    return SIGNAL_EXIT[out.signal ?? 'SIGINT'];
  }
  return values.check && expectations.some((e) => !e.ok) ? EXIT.differs : EXIT.ok;
}

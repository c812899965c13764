import { resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { openCheckedLog } from '../replay/check.ts';
import { checkOutput } from '../log/output.ts';
import { startFork } from '../replay/fork.ts';
import { parseCommand } from './args.ts';
import { formatAnomaly, formatSummary } from './format.ts';
import { stepArg } from './replay.ts';
import { closeDelayForTests, configFromFlags, RunSignals, SIGNAL_EXIT, trainWithProgress, withResumeHint, type TrainOutcome } from './run.ts';

export const FORK_USAGE = `weft fork <log.weft> --at N [--set key=value]... [--steps M] --out FILE [--force] [--quiet]
  Continues training from the state after step N with a changed config, into a new log whose
  header names the parent (by hash) and the fork step. With no change it reproduces the parent
  from step N on, bit for bit. The architecture must stay the same; changing optim.kind starts
  the new optimizer's state afresh.
  --at N           the fork step
  --set key=value  config changes (dotted paths, repeatable)
  --steps M        train until step M (default: the parent's steps)
  --out FILE       the new log
  --force          overwrite FILE if it exists (never the parent, by any name, nor a log being written)
  --data PATH      the parent's data.path file moved: a copy with the parent's hash (a run on a
                   user's file keeps it: a changed or missing one is exit 2, naming both hashes)`;

export async function forkCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, { at: { type: 'string' }, set: { type: 'string', multiple: true }, steps: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' }, quiet: { type: 'boolean' }, data: { type: 'string' } }, FORK_USAGE, { count: 1, what: 'one log file' });
  if (!p) return 0;
  const { values, positionals } = p;
  if (!values.out) throw new UsageError('--out FILE is required');
  const out = resolve(String(values.out));
  const log = openCheckedLog(positionals[0]);
  let n: number;
  let started: Awaited<ReturnType<typeof startFork>>;
  try {
    // the log is streamed into place by its writer (with its lock), not renamed: checked here
    // first, so a link to the parent is refused before --force truncates it
    checkOutput(String(values.out), { force: Boolean(values.force), inputs: [log.path], flag: '--out' });
    n = stepArg(values.at, '--at', log);
    let config = configFromFlags(log.header.config, values);
    if (values.data !== undefined) {
      if (!log.header.data) throw new UsageError(`--data ${values.data}: the parent's data is not a file (it names none)`);
      config = { ...config, data: { ...config.data, path: String(values.data) } };
    }
    started = await startFork(log, n, config, out, { overwrite: Boolean(values.force) });
  } finally {
    log.close();
  }
  const { trainer, recorder } = started;
  const quiet = Boolean(values.quiet);
  if (!quiet) process.stderr.write(`fork of ${log.path} at step ${n}, training to step ${trainer.config.steps}\n`);
  const resume = `npx weft run ${log.header.scenario}`;
  const signals = new RunSignals();
  let r: TrainOutcome;
  try {
    r = await trainWithProgress(trainer, trainer.config.steps, [recorder], quiet, signals);
    await closeDelayForTests();
    recorder.finish(r.result, trainer);
  } catch (e) {
    recorder.writer.abandon(); // what was written stays readable up to its last complete step
    throw withResumeHint(e, out, resume);
  } finally {
    await signals.done();
  }
  if (r.summary) process.stdout.write(`${formatSummary(r.summary, r.stepsPerSec)}\n`);
  if (r.result.anomaly) process.stdout.write(`${formatAnomaly(r.result.anomaly)}\n`);
  process.stdout.write(`log: ${out}\n`);
  if (r.result.reason === 'interrupted') {
    process.stderr.write(`interrupted after step ${r.result.stepsDone}; to continue: ${resume} --resume --out ${out}\n`);
    return SIGNAL_EXIT[r.signal ?? 'SIGINT'];
  }
  return 0;
}

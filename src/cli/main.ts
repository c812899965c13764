import { runCommand, RUN_USAGE } from './run.ts';
import { inspectCommand, INSPECT_USAGE } from './inspect.ts';
import { exportCommand, EXPORT_USAGE, replayCommand, REPLAY_USAGE } from './replay.ts';
import { verifyCommand, VERIFY_USAGE } from './verify.ts';
import { forkCommand, FORK_USAGE } from './fork.ts';
import { diffCommand, DIFF_USAGE } from './diff.ts';
import { reportCommand, REPORT_USAGE } from './report.ts';
import { snapshotCommand, SNAPSHOT_USAGE } from './snapshot.ts';
import { attentionCommand, ATTENTION_USAGE } from './attention.ts';
import { viewCommand, VIEW_USAGE } from './view.ts';
import { sampleCommand, SAMPLE_USAGE } from './sample.ts';
import { fourierCommand, FOURIER_USAGE } from './fourier.ts';
import { sweepCommand, SWEEP_USAGE } from './sweep.ts';
import { reportError, EXIT } from './errors.ts';
import { takeGlobalFlags } from './args.ts';
import type { Scenario } from '../engine/scenario.ts';
import { isMainModule } from './scenarios.ts';
import { WEFT_VERSION } from '../version.ts';
import { FORMAT_VERSION } from '../log/format.ts';

type Command = { summary: string; usage: string; run: (argv: string[]) => Promise<number> };

const COMMANDS: Record<string, Command> = {
  run: { summary: 'train a scenario, record every step, print a summary', usage: RUN_USAGE, run: (a) => runCommand(a) },
  inspect: { summary: 'show a log: header, steps, size, loss, anomalies; one step; --steps: every step as CSV or JSON lines', usage: INSPECT_USAGE, run: inspectCommand },
  replay: { summary: 'the exact state after step N, from the log', usage: REPLAY_USAGE, run: replayCommand },
  export: { summary: 'write the state after step N as safetensors (or JSON)', usage: EXPORT_USAGE, run: exportCommand },
  verify: { summary: 're-execute a log and compare every step', usage: VERIFY_USAGE, run: verifyCommand },
  fork: { summary: 'continue from step N with a changed config into a new log', usage: FORK_USAGE, run: forkCommand },
  diff: { summary: 'where two runs first part, and how far apart they drift', usage: DIFF_USAGE, run: diffCommand },
  report: { summary: 'a self-contained HTML report of a run', usage: REPORT_USAGE, run: reportCommand },
  sweep: { summary: 'many seeds and settings, N at a time or in shards; merge; report', usage: SWEEP_USAGE, run: sweepCommand },
  view: { summary: 'look through runs in a browser: overview, heat maps, any step, compare, attention', usage: VIEW_USAGE, run: viewCommand },
  attention: { summary: 'where a head looks on a sentence after step N; --track: a link through training', usage: ATTENTION_USAGE, run: attentionCommand },
  fourier: { summary: "a modular run's embedding in the Fourier basis of Z_p: its key frequencies (Nanda); --track: through training", usage: FOURIER_USAGE, run: fourierCommand },
  sample: { summary: 'what the model writes after a prompt at step N: greedy or seeded, the same bytes everywhere', usage: SAMPLE_USAGE, run: sampleCommand },
  snapshot: { summary: 'check or update golden snapshots (snapshots/ beside your package.json); --artifacts for CI', usage: SNAPSHOT_USAGE, run: snapshotCommand },
};

export const MAIN_USAGE = `weft — deterministic transformer training with a flight recorder of every step

usage: weft <command> [options]      (weft <command> --help for each; weft --version)

commands:
${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`).join('\n')}

options for every command:
  --kernels fast|reference   the kernel implementation (default fast: WebAssembly SIMD)
  --threads N                threads the fast kernels and a log's decoding split their work over (default: the cores)
                             Neither changes a bit of a log, a hash or a golden: only the speed.

logs: every command that reads a log checks what it trusts — frames by checksum, steps in order
       with none missing, keyframes against their steps, the end record, the index — and names
       damage with its byte offset (exit 3), never answering from a damaged record

files: a command that writes a file refuses an existing one unless --force, and never writes a
       log another process is writing, nor one of its own inputs (by any name); reports and
       exports are written whole (a temporary file renamed into place) or not at all

exit codes: 0 ok · 1 a difference was found · 2 bad usage or input · 3 unreadable or corrupt data
            4 an internal error (a bug in weft; WEFT_DEBUG=1 prints its stack)
            130 / 143 stopped by Ctrl-C / SIGTERM (the log is closed and can be resumed)`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--version' || cmd === '-v' || cmd === 'version') {
    process.stdout.write(`weft ${WEFT_VERSION} (log formats 1–${FORMAT_VERSION}, node ${process.versions.node})\n`);
    return EXIT.ok;
  }
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(`${MAIN_USAGE}\n`);
    return cmd ? EXIT.ok : EXIT.usage;
  }
  const c = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!c) {
    process.stderr.write(`weft: unknown command ${JSON.stringify(cmd)}; commands: ${Object.keys(COMMANDS).join(', ')}\n`);
    return EXIT.usage;
  }
  try {
    return await c.run(takeGlobalFlags(rest));
  } catch (e) {
    return reportError(e, cmd);
  }
}

/**
 * Lets a scenario file run itself: `npx tsx scenarios/no-adam.ts --steps 20` is
 * `weft run no-adam --steps 20`. Does nothing when the file is imported.
 */
export async function runIfMain(moduleUrl: string, scenario: Scenario): Promise<void> {
  if (!isMainModule(moduleUrl)) return;
  let code: number;
  try {
    code = await runCommand(takeGlobalFlags(process.argv.slice(2)), scenario);
  } catch (e) {
    code = reportError(e, 'run');
  }
  process.exitCode = code;
}

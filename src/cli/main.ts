import { runCommand, RUN_USAGE } from './run.ts';
import { inspectCommand, INSPECT_USAGE } from './inspect.ts';
import { exportCommand, EXPORT_USAGE, replayCommand, REPLAY_USAGE } from './replay.ts';
import { verifyCommand, VERIFY_USAGE } from './verify.ts';
import { forkCommand, FORK_USAGE } from './fork.ts';
import { diffCommand, DIFF_USAGE } from './diff.ts';
import { reportCommand, REPORT_USAGE } from './report.ts';
import { snapshotCommand, SNAPSHOT_USAGE } from './snapshot.ts';
import { reportError, EXIT } from './errors.ts';
import type { Scenario } from '../engine/scenario.ts';
import { isMainModule } from './scenarios.ts';

type Command = { usage: string; run: (argv: string[]) => Promise<number> };

const COMMANDS: Record<string, Command> = {
  run: { usage: RUN_USAGE, run: (a) => runCommand(a) },
  inspect: { usage: INSPECT_USAGE, run: inspectCommand },
  replay: { usage: REPLAY_USAGE, run: replayCommand },
  export: { usage: EXPORT_USAGE, run: exportCommand },
  verify: { usage: VERIFY_USAGE, run: verifyCommand },
  fork: { usage: FORK_USAGE, run: forkCommand },
  diff: { usage: DIFF_USAGE, run: diffCommand },
  report: { usage: REPORT_USAGE, run: reportCommand },
  snapshot: { usage: SNAPSHOT_USAGE, run: snapshotCommand },
};

export const MAIN_USAGE = `weft — deterministic transformer training with a flight recorder of every step

usage: weft <command> [options]      (weft <command> --help for each)

commands:
${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.usage.split('\n')[1]?.trim() ?? ''}`).join('\n')}

exit codes: 0 ok · 1 a difference was found · 2 bad usage or input · 3 unreadable or corrupt data`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(`${MAIN_USAGE}\n`);
    return cmd ? EXIT.ok : EXIT.usage;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    process.stderr.write(`weft: unknown command ${JSON.stringify(cmd)}; commands: ${Object.keys(COMMANDS).join(', ')}\n`);
    return EXIT.usage;
  }
  try {
    return await c.run(rest);
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
    code = await runCommand(process.argv.slice(2), scenario);
  } catch (e) {
    code = reportError(e, 'run');
  }
  process.exitCode = code;
}

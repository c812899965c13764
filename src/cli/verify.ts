import { NO_END_RECORD, openLog } from '../log/reader.ts';
import { verifyLog } from '../replay/verify.ts';
import { parseCommand } from './args.ts';
import { EXIT } from './errors.ts';
import { Progress } from './progress.ts';

export const VERIFY_USAGE = `weft verify <log.weft> [--data PATH] [--json] [--quiet]
  Re-executes the run from the log's header and compares every step: state hashes always, and
  the recorded arrays where the log has them. Exit 0 when all agree; 1 at the first difference,
  named by step, field, tensor and element with both values. A run on a user's file re-reads it,
  checked by SHA-256 first: a changed or missing file is exit 2, naming it and both hashes.
  --data PATH  the log's data.path file moved: a copy with the log's hash`;

export async function verifyCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, { json: { type: 'boolean' }, quiet: { type: 'boolean' }, data: { type: 'string' } }, VERIFY_USAGE, { count: 1, what: 'one log file' });
  if (!p) return 0;
  const { values, positionals } = p;
  const log = openLog(positionals[0]);
  try {
    const progress = new Progress(log.lastStep, Boolean(values.quiet || values.json));
    const r = verifyLog(log, (s) => progress.update(s, log.firstStep), { dataPath: values.data as string | undefined });
    progress.done();
    if (values.json) process.stdout.write(`${JSON.stringify({ file: log.path, ...r }, null, 2)}\n`);
    else if (r.ok) {
      const a = log.readAnomalies()[0];
      // what was reproduced is what the log holds: one without its end record holds part of a run
      const open = log.endFrame ? '' : ` — ${NO_END_RECORD}, or is still being written: its ${log.lastStep - log.firstStep + 1} complete steps`;
      process.stdout.write(`${log.path}: reproduced — ${r.stepsChecked} steps re-executed, every ${r.arraysChecked ? 'array and ' : ''}state hash equal${a ? `, and the NaN/Inf at step ${a.step} recurs` : ''}${open}\n`);
    }
    else {
      const m = r.mismatch!;
      process.stdout.write(`${log.path}: differs at step ${m.step}, ${m.field}${m.tensor ? ` ${m.tensor}` : ''}${m.index !== null ? `[${m.index}]` : ''}: recorded ${m.recorded}, recomputed ${m.recomputed}\n` +
        `  (${r.stepsChecked} steps before it agreed) · reproduce: weft verify ${log.path}\n`);
    }
    return r.ok ? EXIT.ok : EXIT.differs;
  } finally {
    log.close();
  }
}

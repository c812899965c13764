import { UsageError } from '../errors.ts';
import { openLog } from '../log/reader.ts';
import { checkOutput, writeOutput, type OutputRule } from '../log/output.ts';
import { runReportHtml } from '../report/html.ts';
import { parseCommand } from './args.ts';

export const REPORT_USAGE = `weft report <log.weft> --html FILE [--force]
  Writes a self-contained HTML report (no network needed): loss curve, a layer × step heat map
  of gradient norms (vanishing and exploding gradients show at a glance), the global gradient
  norm and the clip factor.
  --html FILE   the file to write
  --force       replace FILE if it exists (never the log itself, nor a log being written)`;

export async function reportCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, { html: { type: 'string' }, force: { type: 'boolean' } }, REPORT_USAGE, { count: 1, what: 'one log file' });
  if (!p) return 0;
  const { values, positionals } = p;
  if (!values.html) throw new UsageError('--html FILE is required');
  const rule: OutputRule = { force: Boolean(values.force), inputs: [positionals[0]], flag: '--html' };
  const log = openLog(positionals[0]);
  try {
    checkOutput(String(values.html), rule); // before reading the whole log
    writeOutput(String(values.html), runReportHtml(log), rule);
  } finally {
    log.close();
  }
  process.stdout.write(`report: ${values.html}\n`);
  return 0;
}

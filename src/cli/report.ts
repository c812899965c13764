import { UsageError } from '../errors.ts';
import { openLog } from '../log/reader.ts';
import { checkOutput, writeOutput, type OutputRule } from '../log/output.ts';
import { runReportHtml } from '../report/html.ts';
import { checkLog } from '../replay/check.ts';
import { parseCommand } from './args.ts';

export const REPORT_USAGE = `weft report <log.weft> [--html FILE] [--force]
  Writes a self-contained HTML report (no network needed): loss curve, a layer × step heat map
  of gradient norms (vanishing and exploding gradients show at a glance), the global gradient
  norm and the clip factor. The log is checked whole first: damage anywhere is exit 3, no page.
  --html FILE   the file to write (default: the log's name with .html, beside it)
  --force       replace FILE if it exists (never the log itself, nor a log being written)`;

export async function reportCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, { html: { type: 'string' }, force: { type: 'boolean' } }, REPORT_USAGE, { count: 1, what: 'one log file' });
  if (!p) return 0;
  const { values, positionals } = p;
  const html = values.html === undefined ? `${positionals[0].replace(/\.weft$/, '')}.html` : String(values.html);
  if (html === '') throw new UsageError('--html FILE: expected a file name');
  const rule: OutputRule = { force: Boolean(values.force), inputs: [positionals[0]], flag: '--html' };
  const log = openLog(positionals[0]);
  try {
    checkOutput(html, rule); // before reading the whole log
    // what is drawn is checked first, whole: a damaged record anywhere is exit 3, never a page
    checkLog(log);
    writeOutput(html, runReportHtml(log), rule);
  } finally {
    log.close();
  }
  process.stdout.write(`report: ${html}\n`);
  return 0;
}

import { writeFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { openLog } from '../log/reader.ts';
import { runReportHtml } from '../report/html.ts';
import { parseCommand } from './args.ts';

export const REPORT_USAGE = `weft report <log.weft> --html FILE
  Writes a self-contained HTML report (no network needed): loss curve, a layer × step heat map
  of gradient norms (vanishing and exploding gradients show at a glance), the global gradient
  norm and the clip factor.
  --html FILE   the file to write`;

export async function reportCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, { html: { type: 'string' } }, REPORT_USAGE, { count: 1, what: 'one log file' });
  if (!p) return 0;
  const { values, positionals } = p;
  if (!values.html) throw new UsageError('--html FILE is required');
  const log = openLog(positionals[0]);
  try {
    writeFileSync(String(values.html), runReportHtml(log));
  } finally {
    log.close();
  }
  process.stdout.write(`report: ${values.html}\n`);
  return 0;
}

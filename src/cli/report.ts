import { writeFileSync } from 'node:fs';
import { UsageError } from '../engine/errors.ts';
import { openLog } from '../log/reader.ts';
import { runReportHtml } from '../report/html.ts';
import { parse } from './args.ts';

export const REPORT_USAGE = `weft report <log.weft> --html FILE
  Writes a self-contained HTML report (no network needed): loss curve, a layer × step heat map
  of gradient norms (vanishing and exploding gradients show at a glance), the global gradient
  norm and the clip factor.
  --html FILE   the file to write`;

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { html: { type: 'string' } }, REPORT_USAGE);
  if (values.help) {
    process.stdout.write(`${REPORT_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one log file\nusage: ${REPORT_USAGE.split('\n')[0]}`);
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

import { diff, divergenceWhere, heldOutLines, type DiffResult } from '../diff/diff.ts';
import { openLog } from '../log/reader.ts';
import { checkOutput, writeOutput, type OutputRule } from '../log/output.ts';
import { parseCommand } from './args.ts';
import { EXIT } from './errors.ts';
import { fmtNorm } from './format.ts';
import { jsonNumber } from '../json.ts';
import { UsageError } from '../errors.ts';

export const DIFF_USAGE = `weft diff <a.weft> <b.weft> [--json] [--html FILE [--force]]
  Compares two runs step by step: where they first part (step, stream, tensor, element, both
  values, likely cause), then per step the losses and per layer the gradient-norm ratio and the
  parameter distance ‖w_a − w_b‖; for two runs with evaluations, where their held-out loss
  parts and both at the last common evaluation. Exit 0 when identical, 1 when they differ.
  --json        machine-readable output (schema: src/diff/schema.ts)
  --html FILE   also write a self-contained HTML report with charts
  --force       replace FILE if it exists (never either log, nor a log being written)`;

export function formatDiff(r: DiffResult): string {
  const lines: string[] = [];
  const d = r.firstDivergence;
  if (r.identical) lines.push(`identical: ${r.a.steps[1] - r.a.steps[0]} steps, every compared number equal, bit for bit`);
  else if (d) {
    lines.push(`differ: first at step ${d.step}${d.step === r.a.steps[0] ? ' (initial state)' : ''}, in the ${d.stream}: ${divergenceWhere(d)}: a ${d.a}, b ${d.b}`);
    lines.push(`  cause: ${d.causes.join('; ')}`);
  } else lines.push('differ in length only: every common step is equal');
  if (r.config.length) {
    lines.push('config differences');
    for (const c of r.config.slice(0, 12)) lines.push(`  ${c.key.padEnd(24)} ${JSON.stringify(c.a)} → ${JSON.stringify(c.b)}`);
    if (r.config.length > 12) lines.push(`  … ${r.config.length - 12} more`);
  }
  if (r.heldOut) lines.push(...heldOutLines(r.heldOut));
  if (r.steps.length) {
    lines.push('loss per step after the divergence (a, b, b − a)');
    const every = Math.max(1, Math.ceil(r.steps.length / 10));
    const shown = r.steps.filter((s, i) => i % every === 0 || i === r.steps.length - 1);
    for (const s of shown) lines.push(`  step ${String(s.step).padStart(6)}  ${s.lossA.toFixed(6).padStart(12)} ${s.lossB.toFixed(6).padStart(12)} ${(s.lossDiff >= 0 ? '+' : '') + s.lossDiff.toExponential(2)}`);
    const last = r.steps[r.steps.length - 1];
    if (last.layers) {
      lines.push(`per layer at step ${last.step}: gradient-norm ratio b/a, parameter distance ‖w_a − w_b‖ (relative)`);
      for (const l of last.layers) lines.push(`  ${l.layer.padEnd(9)} ${l.gradNormRatio.toPrecision(4).padStart(10)}  ${l.paramDist === null ? '–' : `${fmtNorm(l.paramDist)} (${fmtNorm(l.paramDistRel!)})`}`);
    }
  }
  for (const n of r.notCompared) lines.push(`not compared: ${n}`);
  return lines.join('\n');
}

/** DiffResult as JSON (non-finite numbers as strings). */
export function diffJson(r: DiffResult): unknown {
  return JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === 'number' ? jsonNumber(v) : v)));
}

export async function diffCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, { json: { type: 'boolean' }, html: { type: 'string' }, force: { type: 'boolean' } }, DIFF_USAGE, { count: 2, what: 'two log files' });
  if (!p) return 0;
  const { values, positionals } = p;
  if (values.force && !values.html) throw new UsageError('--force goes with --html FILE');
  const rule: OutputRule = { force: Boolean(values.force), inputs: positionals, flag: '--html' };
  const a = openLog(positionals[0]);
  try {
    const b = openLog(positionals[1]);
    try {
      if (values.html) checkOutput(String(values.html), rule); // before the comparison's work
      const r = diff(a, b, { everyStep: Boolean(values.html) });
      if (values.html) {
        const { diffReportHtml } = await import('../report/html.ts');
        writeOutput(String(values.html), diffReportHtml(a, b, r), rule);
      }
      if (values.json) process.stdout.write(`${JSON.stringify(diffJson(r), null, 2)}\n`);
      else process.stdout.write(`${formatDiff(r)}\n${values.html ? `report: ${values.html}\n` : ''}`);
      return r.identical ? EXIT.ok : EXIT.differs;
    } finally {
      b.close();
    }
  } finally {
    a.close();
  }
}

import { UsageError } from '../errors.ts';
import { layerName } from '../layout/table.ts';
import { type LogReader } from '../log/reader.ts';
import { openCheckedLog } from '../replay/check.ts';
import { checkOutput, writeOutput, type OutputRule } from '../log/output.ts';
import { stepView } from '../log/steps.ts';
import { encodeSafetensors } from '../replay/safetensors.ts';
import { stateAt, type ReplayState } from '../replay/state.ts';
import { exportMetadata, namedTensors, normsPerLayer } from '../replay/tensors.ts';
import { parseCommand } from './args.ts';
import { jsonNumber, jsonNumbers } from '../json.ts';
import { fmtNorm } from './format.ts';

export const REPLAY_USAGE = `weft replay <log.weft> --to N [--json] [--export FILE.safetensors [--force]]
  Rebuilds the exact state after step N (0 = initial) from the nearest keyframe and prints it:
  per-layer weight and moment norms, and the loss of step N.
  --to N             the step
  --export FILE      also write the state as safetensors (see weft export)
  --force            replace FILE if it exists (never the log itself, nor a log being written)
  --json             machine-readable output`;

export const EXPORT_USAGE = `weft export <log.weft> --at N --out FILE [--format safetensors|json] [--force]
  Writes the state after step N: every parameter under its PyTorch name, the optimizer state as
  optim.m.<name> / optim.v.<name> (optim.momentum.<name> for SGD with momentum), and metadata
  step, optim.t, seed and config (the run's config as JSON).
  --at N        the step (0 = initial)
  --out FILE    the file to write
  --format F    safetensors (default) or json (small states)
  --force       replace FILE if it exists (never the log itself, nor a log being written)`;

/** Parses a step argument strictly: a non-negative integer within the log. */
export function stepArg(v: unknown, flag: string, log: LogReader): number {
  if (v === undefined) throw new UsageError(`${flag} N is required`);
  const s = String(v);
  if (!/^\d+$/.test(s)) throw new UsageError(`${flag}: expected a non-negative integer step, got ${JSON.stringify(s)}`);
  const n = Number(s);
  if (n < log.header.startStep || n > log.lastStep) throw new UsageError(`${flag} ${n}: the log holds steps ${log.header.startStep}…${log.lastStep}${log.tornTailBytes ? ` (its run stopped there: a torn record of ${log.tornTailBytes} bytes follows)` : ''}`);
  return n;
}

function writeExport(log: LogReader, s: ReplayState, out: string, format: string, rule: OutputRule): void {
  const tensors = namedTensors(log.header, s);
  const meta = exportMetadata(log.header, s);
  if (format === 'json') {
    const j = { metadata: { ...meta, config: log.header.config }, tensors: Object.fromEntries(tensors.map((t) => [t.name, { shape: t.shape, data: jsonNumbers(t.data) }])) };
    writeOutput(out, `${JSON.stringify(j)}\n`, rule);
  } else writeOutput(out, encodeSafetensors(tensors, meta), rule);
}

function stateReport(log: LogReader, s: ReplayState) {
  const h = log.header;
  const L = h.config.model.nLayers;
  const loss = s.step > h.startStep && log.hasStep(s.step) ? stepView(log.readStep(s.step)).loss : null;
  const w = normsPerLayer(h, s.params);
  const m = normsPerLayer(h, s.m);
  const v = normsPerLayer(h, s.v);
  return {
    step: s.step,
    optimT: s.optimT,
    dataCursor: s.dataCursor,
    stateHash: s.stateHash,
    loss: loss === null ? null : jsonNumber(loss),
    layers: w.map((x, l) => ({ layer: layerName(l, L), weightNorm: jsonNumber(x), mNorm: m.length ? jsonNumber(m[l]) : null, vNorm: v.length ? jsonNumber(v[l]) : null })),
  };
}

export async function replayCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, { to: { type: 'string' }, json: { type: 'boolean' }, export: { type: 'string' }, force: { type: 'boolean' } }, REPLAY_USAGE, { count: 1, what: 'one log file' });
  if (!p) return 0;
  const { values, positionals } = p;
  if (values.force && !values.export) throw new UsageError('--force goes with --export FILE');
  const rule: OutputRule = { force: Boolean(values.force), inputs: [positionals[0]], flag: '--export' };
  const log = openCheckedLog(positionals[0]);
  try {
    const n = stepArg(values.to, '--to', log);
    if (values.export) checkOutput(String(values.export), rule); // before the replay's work
    const s = stateAt(log, n);
    if (values.export) writeExport(log, s, String(values.export), 'safetensors', rule);
    const r = stateReport(log, s);
    if (values.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    else {
      const lines = [`state after step ${r.step} (optimizer step ${r.optimT}, hash ${r.stateHash})${r.loss !== null ? ` · loss of step ${r.step}: ${r.loss}` : ''}`];
      lines.push(`  ${'layer'.padEnd(9)} ${'‖w‖'.padStart(10)} ${'‖m‖'.padStart(10)} ${'‖v‖'.padStart(10)}`);
      for (const l of r.layers) lines.push(`  ${l.layer.padEnd(9)} ${fmtNorm(Number(l.weightNorm)).padStart(10)} ${(l.mNorm === null ? '–' : fmtNorm(Number(l.mNorm))).padStart(10)} ${(l.vNorm === null ? '–' : fmtNorm(Number(l.vNorm))).padStart(10)}`);
      if (values.export) lines.push(`exported to ${values.export}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return 0;
  } finally {
    log.close();
  }
}

export async function exportCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, { at: { type: 'string' }, out: { type: 'string' }, format: { type: 'string' }, force: { type: 'boolean' } }, EXPORT_USAGE, { count: 1, what: 'one log file' });
  if (!p) return 0;
  const { values, positionals } = p;
  if (!values.out) throw new UsageError('--out FILE is required');
  const format = String(values.format ?? 'safetensors');
  if (format !== 'safetensors' && format !== 'json') throw new UsageError(`--format: expected safetensors or json, got ${JSON.stringify(format)}`);
  const rule: OutputRule = { force: Boolean(values.force), inputs: [positionals[0]], flag: '--out' };
  const log = openCheckedLog(positionals[0]);
  try {
    const n = stepArg(values.at, '--at', log);
    checkOutput(String(values.out), rule); // before the replay's work
    writeExport(log, stateAt(log, n), String(values.out), format, rule);
    process.stdout.write(`wrote the state after step ${n} to ${values.out} (${format})\n`);
    return 0;
  } finally {
    log.close();
  }
}

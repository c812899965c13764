import { LogCorruptError, UsageError } from '../errors.ts';
import { EXIT } from './errors.ts';
import { checkLog } from '../replay/check.ts';
import { FILE_DATA_KINDS, fileScenarioName } from '../engine/file-scenario.ts';
import { layerName } from '../layout/table.ts';
import { NO_END_RECORD, openLog, type LogReader } from '../log/reader.ts';
import { stepView } from '../log/steps.ts';
import { intFlag, parseCommand } from './args.ts';
import { jsonNumber, jsonNumbers, rows } from '../json.ts';
import { evaluationLines, evaluationsJson } from './evals.ts';
import { fmtLoss } from './progress.ts';
import { fmtBytes } from './run.ts';
import { formatAnomaly } from './format.ts';
import { lockHolder } from '../log/lock.ts';
import { hostname } from 'node:os';
import { paramTable } from '../log/records.ts';
import { writeStepRows } from './step-rows.ts';
import { decodeTokens, tokenNamesOf } from '../data/source.ts';

export const INSPECT_USAGE = `weft inspect <log.weft> [--step N | --steps [--csv]] [--json] [--no-check]
  Shows a log: its header and a summary (steps, size, bytes/step, loss first → last, anomalies),
  with --step N that step's record (loss, lr, gradient norms, clip factor, batch), or with
  --steps every step, one row each. First it checks the whole log — every frame's checksum and
  record, the steps in order with none missing, keyframes against their steps, the end record,
  the index: damage is named with its byte offset, exit 3, and nothing else is printed (a damaged
  index still shows the summary or the rows, read by scanning the intact frames).
  --step N     one step's record
  --steps      one row per step, written as the log is read (| head stops it; a log of any
               length streams): step, loss, lr, gradNorm (global), the gradient norm per layer
               group (emb, layer 1 … layer L, head), clipFactor. A table for people, or:
    --csv      CSV with a header row; numbers exact (the shortest decimal that reads back as the
               same double: JavaScript's String(x), Python's repr), NaN, Infinity, -Infinity
    --json     JSON Lines: one object per step per line, keyed by the CSV's column names
               (numbers exact; NaN/Inf as the strings "NaN", "Infinity", "-Infinity")
               A step that stopped on NaN/Inf did not complete: it has no record and no row.
  --json       machine-readable output (numbers are exact doubles; NaN/Inf as strings)
  --no-check   skip the check (huge logs; the output says it was skipped)`;

export function stepJson(log: LogReader, n: number) {
  const v = stepView(log.readStep(n));
  const T = log.header.config.model.contextLength;
  const perTensor: Record<string, number | string> = {};
  log.header.params.forEach((p, i) => (perTensor[p.name] = jsonNumber(v.gradNormPerTensor[i])));
  return {
    step: v.step,
    loss: jsonNumber(v.loss),
    lr: jsonNumber(v.lr),
    gradNorm: { global: jsonNumber(v.gradNormGlobal), perLayer: jsonNumbers(v.gradNormPerLayer), perTensor },
    clipFactor: jsonNumber(v.clipFactor),
    inputs: rows(v.inputs, T),
    targets: rows(v.targets, T),
  };
}

export function logSummary(log: LogReader) {
  const h = log.header;
  const steps = log.stepNumbers;
  const first = steps.length ? stepView(log.readStep(steps[0])) : null;
  const last = steps.length ? stepView(log.readStep(steps[steps.length - 1])) : null;
  const end = log.readEnd();
  return {
    file: log.path,
    format: h.format,
    weft: h.weft,
    scenario: h.scenario,
    mode: h.mode,
    numericMode: h.numericMode,
    seed: h.seed,
    parameters: paramTable(h).total,
    steps: { first: steps.length ? steps[0] : null, last: steps.length ? log.lastStep : null, count: steps.length },
    keyframes: log.keyframeSteps,
    sizeBytes: log.sizeBytes,
    bytesPerStep: steps.length ? Math.round(log.sizeBytes / steps.length) : null,
    loss: { first: first ? jsonNumber(first.loss) : null, last: last ? jsonNumber(last.loss) : null },
    evaluations: evaluationsJson(log.readEvals()),
    anomalies: log.readAnomalies().map(({ step, stage, tensor, index }) => ({ step, stage, tensor, index })),
    end: end ? { reason: end.reason, steps: end.steps } : null,
    complete: log.indexed && end !== null,
    /** intact; missing (killed before closing); or damaged at a byte offset (the frames read by scanning) */
    index: log.indexed ? 'intact' : log.indexDamage ? { damagedAt: log.indexDamage.offset, what: log.indexDamage.what } : 'missing',
    writer: end ? null : lockHolder(log.path),
    tornTailBytes: log.tornTailBytes,
    parent: h.parent,
    // a run on a user's files: them by content, the tokenizer and its token names
    ...(h.data ? { data: h.data } : {}),
    config: h.config,
  };
}

export async function inspectCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, { step: { type: 'string' }, steps: { type: 'boolean' }, csv: { type: 'boolean' }, json: { type: 'boolean' }, 'no-check': { type: 'boolean' } }, INSPECT_USAGE, { count: 1, what: 'one log file' });
  if (!p) return 0;
  const { values, positionals } = p;
  if (values.steps && values.step !== undefined) throw new UsageError('--step N (one step) and --steps (every step) exclude each other');
  if (values.csv && !values.steps) throw new UsageError('--csv goes with --steps (one row per step)');
  if (values.csv && values.json) throw new UsageError('--csv and --json exclude each other (--steps writes one of them)');
  const log = openLog(positionals[0]);
  try {
    // what is summarized is checked first, whole; a damaged index (every frame intact) is shown
    // with the summary, and still exits 3
    let checked: number | null = null;
    let notChecked: string | null = null;
    let indexDamage: LogCorruptError | null = null;
    if (!values['no-check']) {
      try {
        ({ frames: checked, notChecked } = checkLog(log));
      } catch (e) {
        if (!(e instanceof LogCorruptError && log.indexDamage && e.offsetByte === log.indexDamage.offset)) throw e;
        indexDamage = e;
        checked = log.frames.length;
      }
    }
    // a run on a file (weft run FILE.txt) continues by the file, not by the name it was given
    const ran = log.header.config.data;
    const onFile = FILE_DATA_KINDS.includes(ran.kind) && ran.path !== '' && fileScenarioName(ran.path) === log.header.scenario;
    const resume = `npx weft run ${onFile ? ran.path : log.header.scenario} --resume --out ${log.path}`;
    const damaged = () => {
      process.stderr.write(`weft inspect: ${indexDamage!.message}; every frame is intact (read by scanning): ${resume} rewrites the index\n`);
      return EXIT.corrupt;
    };
    const step = intFlag(values.step, '--step', 0);
    if (step !== undefined) {
      const anomaly = log.readAnomalies().find((a) => a.step === step);
      if (anomaly && !log.hasStep(step)) {
        // the step that hit NaN/Inf did not complete, so it has no step record: show where it broke
        const where = { step, stage: anomaly.stage, tensor: anomaly.tensor, index: anomaly.index };
        if (values.json) process.stdout.write(`${JSON.stringify({ step, completed: false, anomaly: where }, null, 2)}\n`);
        else process.stdout.write(`${formatAnomaly(where)}\n  the step did not complete, so the log has no record of it; step ${log.lastStep} is the last complete one\n`);
        return indexDamage ? damaged() : 0;
      }
      if (!log.hasStep(step)) throw new UsageError(`--step ${step}: the log holds steps ${log.firstStep}…${log.lastStep}`);
      const j = stepJson(log, step);
      if (values.json) process.stdout.write(`${JSON.stringify(j, null, 2)}\n`);
      else {
        const L = log.header.config.model.nLayers;
        process.stdout.write(`step ${j.step}: loss ${j.loss} · lr ${j.lr} · clip factor ${j.clipFactor} · gradient norm ${j.gradNorm.global}\n`);
        j.gradNorm.perLayer.forEach((g, l) => process.stdout.write(`  ${layerName(l, L).padEnd(9)} ${g}\n`));
        const batch = decodeTokens(log.header, j.inputs[0]);
        if (batch !== null) process.stdout.write(`batch[0]: ${log.header.data?.tokenizer === 'char' ? JSON.stringify(batch) : batch}\n`);
      }
      return indexDamage ? damaged() : 0;
    }
    if (values.steps) {
      await writeStepRows(log, values.csv ? 'csv' : values.json ? 'json' : 'text');
      return indexDamage ? damaged() : 0;
    }
    const s = { ...logSummary(log), framesChecked: checked, notChecked };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      return indexDamage ? damaged() : 0;
    }
    const c = log.header.config;
    const lines = [
      `${s.file}: weft log format ${s.format}, written by weft ${s.weft}`,
      `  scenario ${s.scenario} · seed ${s.seed} · ${c.model.nLayers} layer${c.model.nLayers === 1 ? '' : 's'}, d ${c.model.dModel}, ${c.model.nHeads} head${c.model.nHeads === 1 ? '' : 's'} · ${s.parameters.toLocaleString('en-US')} parameters · ${c.optim.kind}`,
      `  recording ${s.mode} · numeric mode ${s.numericMode} · ${s.keyframes.length === 0 ? 'no keyframe' : `keyframes at ${s.keyframes.length > 8 ? `${s.keyframes.slice(0, 8).join(', ')}, …` : s.keyframes.join(', ')}`}`,
      s.steps.count
        ? `  steps ${s.steps.first}…${s.steps.last} (${s.steps.count}) · ${fmtBytes(s.sizeBytes)} · ${fmtBytes(s.bytesPerStep!)}/step`
        : `  no steps recorded · ${fmtBytes(s.sizeBytes)}`,
      ...(s.steps.count ? [`  loss ${typeof s.loss.first === 'number' ? fmtLoss(s.loss.first) : s.loss.first} → ${typeof s.loss.last === 'number' ? fmtLoss(s.loss.last) : s.loss.last}`] : []),
      ...evaluationLines(log.readEvals()),
      ...s.anomalies.map((a) => `  anomaly at step ${a.step}: NaN/Inf in ${a.stage}${a.tensor ? ` (${a.tensor}${a.index !== null ? `[${a.index}]` : ''})` : ''}`),
      s.end
        ? `  ended: ${s.end.reason} after ${s.end.steps} steps${s.end.reason === 'interrupted' ? ` (resume: ${resume})` : ''}`
        : s.writer
          ? `  still being written by process ${s.writer.pid}${s.writer.host === hostname() ? '' : ` on ${s.writer.host}`}: ${s.steps.count} complete steps so far`
          : `  ${NO_END_RECORD}; ${s.steps.count} complete steps recovered${s.tornTailBytes ? `, ${s.tornTailBytes} bytes of a torn record dropped at byte ${s.sizeBytes - s.tornTailBytes}` : ''} (resume: ${resume})`,
    ];
    if (s.end && s.index === 'missing') lines.push(`  no index: the run was killed while closing its log; every frame is intact (${resume} writes the index)`);
    const d = log.header.data;
    if (d) lines.push(...d.files.map((f) => `  ${f.key} ${f.path} · ${f.bytes.toLocaleString('en-US')} bytes · sha256 ${f.sha256}`), `  tokenizer ${d.tokenizer} · ${tokenNamesOf(log.header)?.length ?? 'no'} named tokens · V ${log.header.vocabSize}`);
    if (s.parent) lines.push(`  forked from ${s.parent.hash.slice(0, 16)}… at step ${s.parent.step}`);
    lines.push(checked === null ? '  not checked (--no-check)' : indexDamage ? `  checked: all ${checked} frames intact, the index damaged` : `  checked: all ${checked} frames intact, in order, keyframes${s.end ? ' and end record' : ''} agreeing with the steps`);
    if (notChecked) lines.push(`  not checked: ${notChecked}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return indexDamage ? damaged() : 0;
  } finally {
    log.close();
  }
}

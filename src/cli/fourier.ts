import { UsageError } from '../errors.ts';
import { openCheckedLog } from '../replay/check.ts';
import { FOURIER_TENSOR, FOURIER_TOP_DEFAULT, fourierAt, trackFourier, type FourierSpectrum, type FourierTrack } from '../replay/fourier.ts';
import { intFlag, parseCommand } from './args.ts';
import { stepArg } from './replay.ts';

export const FOURIER_USAGE = `weft fourier <log.weft> [--at N] [--top K] [--json]
weft fourier <log.weft> --track [--every N] [--top K] [--json]
  Nanda et al.'s progress measure for a run on the modular task: the embedding of the p residues
  (${FOURIER_TENSOR} rows 0…p−1) in the real Fourier basis of Z_p — the constant, cos(2πkx/p)
  and sin(2πkx/p) for k = 1…⌊p/2⌋ — as the energy of each frequency k (its cos and sin
  coefficients squared, summed over the d dimensions), and the share of the non-constant energy
  the top K frequencies hold: the key frequencies. An embedding that has learnt a ∘ b mod p as
  Nanda's model does sits on a few frequencies (a share near 1); a random one spreads evenly
  (K/⌊p/2⌋). Replayed from the log, exact; float64 in one fixed order, the same on every runtime.
  --at N      the step (default: the last)
  --top K     how many key frequencies (default ${FOURIER_TOP_DEFAULT})
  --track     the share and the key frequencies through training, beside the held-out and
              training accuracy of the log's evaluations: at its keyframes (and its first and
              last step), or every N steps
  --every N   with --track: the first step, every N steps and the last (a summary log
              re-executes each from its keyframe: --every at its keyframe interval is fastest)
  --json      the numbers: per step the energies (frequency k at index k − 1), the constant's,
              the key frequencies and the share`;

const percent = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);

function formatSpectrum(s: FourierSpectrum & { step: number }, top: number): string {
  const kMax = s.energies.length;
  const max = Math.max(...s.energies);
  const key = new Set(s.keyFrequencies);
  const lines = [
    `the residues' embedding after step ${s.step} (${FOURIER_TENSOR} rows 0…${s.p - 1}, d ${s.dModel}) in the Fourier basis of Z_${s.p}`,
    `  per frequency k: its energy (cos and sin, all ${s.dModel} dimensions) and its share of the non-constant energy`,
    `  ${'k'.padStart(3)}  ${'energy'.padStart(10)}  ${'share'.padStart(6)}`,
  ];
  s.energies.forEach((e, i) => {
    const bar = max > 0 ? '█'.repeat(Math.round((30 * e) / max)) : '';
    lines.push(`  ${String(i + 1).padStart(3)}  ${e.toPrecision(4).padStart(10)}  ${percent(s.total > 0 ? e / s.total : 0).padStart(6)}  ${bar}${key.has(i + 1) ? ' key' : ''}`);
  });
  const all = s.constant + s.total;
  lines.push(`  the constant (the residues' mean): ${s.constant.toPrecision(4)}, ${percent(all > 0 ? s.constant / all : 0)} of all the energy`);
  lines.push(`the top ${top} frequencies hold ${percent(s.concentration)} of the non-constant energy (an even spread: ${percent(top / kMax)}); key frequencies: ${s.keyFrequencies.join(', ')}`);
  return lines.join('\n');
}

function formatTrack(t: FourierTrack): string {
  const kMax = Math.floor(t.p / 2);
  const first = t.points[0];
  const last = t.points[t.points.length - 1];
  const keyWidth = Math.max(15, ...t.points.map((q) => q.keyFrequencies.join(' ').length));
  const lines = [
    `the residues' embedding (${FOURIER_TENSOR} rows 0…${t.p - 1}, d ${t.dModel}) in the Fourier basis of Z_${t.p}, at ${t.points.length} steps (${t.source === 'keyframes' ? "the log's keyframes" : `every ${t.every} step${t.every === 1 ? '' : 's'}`}), ${first.step}…${last.step}`,
    `  top ${t.top}: the share of the non-constant energy in the ${t.top} frequencies with most (an even spread: ${percent(t.top / kMax)})`,
    `  ${'step'.padStart(7)}  ${`top ${t.top}`.padStart(6)}  ${'key frequencies'.padEnd(keyWidth)}  ${'held-out'.padStart(8)}  ${'train'.padStart(6)}`,
  ];
  for (const q of t.points) lines.push(`  ${String(q.step).padStart(7)}  ${percent(q.concentration).padStart(6)}  ${q.keyFrequencies.join(' ').padEnd(keyWidth)}  ${percent(q.heldOutAccuracy).padStart(8)}  ${percent(q.trainAccuracy).padStart(6)}`);
  const best = t.points.reduce((a, b) => (b.concentration > a.concentration ? b : a));
  lines.push(`top-${t.top} share ${percent(first.concentration)} at step ${first.step} → ${percent(last.concentration)} at step ${last.step} (highest ${percent(best.concentration)}, step ${best.step}); key frequencies at the end: ${last.keyFrequencies.join(', ')}`);
  return lines.join('\n');
}

export async function fourierCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, { at: { type: 'string' }, top: { type: 'string' }, track: { type: 'boolean' }, every: { type: 'string' }, json: { type: 'boolean' } }, FOURIER_USAGE, { count: 1, what: 'one log file' });
  if (!p) return 0;
  const { values, positionals } = p;
  const log = openCheckedLog(positionals[0]);
  try {
    const top = intFlag(values.top, '--top', 1) ?? FOURIER_TOP_DEFAULT;
    if (values.track) {
      if (values.at !== undefined) throw new UsageError('--track reads every chosen step: --at does not go with it');
      const t = trackFourier(log, { top, every: intFlag(values.every, '--every', 1) });
      process.stdout.write(`${values.json ? JSON.stringify(t, null, 2) : formatTrack(t)}\n`);
      return 0;
    }
    if (values.every !== undefined) throw new UsageError('--every goes with --track');
    const step = values.at === undefined ? log.lastStep : stepArg(values.at, '--at', log);
    const s = fourierAt(log, step, top);
    process.stdout.write(`${values.json ? JSON.stringify({ tensor: FOURIER_TENSOR, top, ...s }, null, 2) : formatSpectrum(s, top)}\n`);
    return 0;
  } finally {
    log.close();
  }
}

// The figures of the README's two paper reproductions, from full runs, printed as markdown:
// grokking over seeds 1–5 (a sweep) and its weight-decay ablation (README "Grokking"), and the
// induction-head run and its 1-layer ablation (README "Induction heads"). Every figure but the
// minutes and steps/s is deterministic: a second run prints the same tables.
// Usage: npx tsx scripts/paper-figures.ts [--quick] [--out DIR] [--jobs N] [--only grokking|induction]
//   --quick   a smoke run: 600 grokking steps on seeds 1–2, 60 induction steps (the tables'
//             shape, not the papers' figures)
//   --out DIR where the runs go (default: a new folder under the system's temp folder); the
//             sweeps there resume, so a second call reuses finished runs
//   --jobs N  runs at a time (default 2: the sweep's, and the two induction runs side by side)
//   --only    one of the two reproductions
// The full runs take about an hour on 2 cores (five grokking runs two at a time, the ablation
// alone — its wall time is the budget the README states — then the two induction runs).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openLog } from '../src/log/reader.ts';
import type { Evaluation } from '../src/log/evals.ts';
import { stateAt } from '../src/replay/state.ts';
import { normsPerLayer } from '../src/replay/tensors.ts';
import { trackPattern, type PatternTrack } from '../src/replay/track.ts';
import grokking, { grokkingSteps, NEAR_CHANCE, P } from '../scenarios/grokking.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { quick: { type: 'boolean' }, out: { type: 'string' }, jobs: { type: 'string', default: '2' }, only: { type: 'string' } } });
const quick = values.quick === true;
if (values.only !== undefined && values.only !== 'grokking' && values.only !== 'induction') throw new Error(`--only: grokking or induction, got ${values.only}`);
const want = (part: 'grokking' | 'induction') => values.only === undefined || values.only === part;
const jobs = values.jobs!;
const dir = values.out ?? mkdtempSync(join(tmpdir(), 'weft-paper-'));
mkdirSync(dir, { recursive: true });
const progress = (s: string) => process.stderr.write(`${s}\n`);
const now = () => performance.now(); // timing

const GROK_SEEDS = quick ? '1-2' : '1-5';
const GROK_STEPS = quick ? 600 : grokking.config.steps;
const INDUCTION_STEPS = quick ? 60 : 500;
/** the induction table's columns: the held-out loss before, around and after the phase change */
const INDUCTION_LOSS_AT = quick ? [0, 25, 50, 60] : [0, 200, 250, 300, 500];
const INDUCTION_SCORE_AT = quick ? [20, 40, 60] : [200, 300, 500];

/** Runs the weft CLI as a user would; its progress goes to our stderr. Returns the wall time in s. */
function weft(args: string[]): number {
  progress(`$ weft ${args.join(' ')}`);
  const t0 = now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/weft.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`weft ${args.join(' ')}: exit ${r.status}`);
  return (now() - t0) / 1000;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const int = (n: number) => n.toLocaleString('en-US');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface GrokRun {
  label: string;
  evals: Evaluation[];
  A: number | null;
  B: number | null;
  C: number | null;
  /** the total weight norm after step 0, A and C (or the last step, without C) */
  norms: { at0: number; atA: number | null; atC: number };
  bestHeldOut: Evaluation;
}

/** The grokking figures of one log: A, B, C from its evaluations; weight norms replayed. */
function grokRun(label: string, path: string): GrokRun {
  const log = openLog(path);
  try {
    const evals = log.readEvals();
    const { A, B, C } = grokkingSteps({ evaluations: evals });
    const norm = (step: number) => Math.hypot(...normsPerLayer(log.header, stateAt(log, step).params));
    const bestHeldOut = evals.reduce((a, b) => ((b.heldOut.accuracy ?? 0) > (a.heldOut.accuracy ?? 0) ? b : a));
    return { label, evals, A, B, C, norms: { at0: norm(0), atA: A === null ? null : norm(A), atC: norm(C ?? log.lastStep) }, bestHeldOut };
  } finally {
    log.close();
  }
}

function grokkingTables(seedRuns: GrokRun[], ablation: GrokRun, minutes: { ablation: number; stepsPerSec: number; sweep: number }): string {
  const last = (r: GrokRun) => r.evals[r.evals.length - 1];
  const seed1 = seedRuns[0];
  const heldOutMax = (r: GrokRun) => Math.max(...r.evals.map((e) => e.heldOut.accuracy ?? 0));
  const bText = (r: GrokRun) => {
    if (r.B === last(r).step && (last(r).heldOut.accuracy ?? 1) <= NEAR_CHANCE) return `never rises: at most ${pct(heldOutMax(r))} to step ${int(last(r).step)}`;
    return r.B === null ? '— (above 5/p at step 0)' : `step ${int(r.B)}${r.A === null ? '' : ` (≥ 5·A = ${int(5 * r.A)}: ${r.B >= 5 * r.A ? 'yes' : 'no'})`}`;
  };
  const row = (name: string, r: GrokRun) => {
    const e = last(r);
    const heldLoss = (e.heldOut.accuracy ?? 0) < 0.5 ? ` (held-out loss ${e.heldOut.loss.toFixed(1)})` : '';
    return `| ${name} | ${r.A === null ? '— (never)' : `step ${int(r.A)}`} | ${bText(r)} | ${r.C === null ? '— (never)' : `step ${int(r.C)}`} | ${r.norms.at0.toFixed(1)} → ${r.norms.atA?.toFixed(1) ?? '—'} → ${r.norms.atC.toFixed(1)}${r.C === null ? ' at the end' : ''} | ${pct(e.train.accuracy ?? 0)} · ${pct(e.heldOut.accuracy ?? 0)}${heldLoss} |`;
  };
  const Cs = seedRuns.map((r) => r.C).filter((c): c is number => c !== null);
  const lines = [
    `Budget: ${Number.isNaN(minutes.ablation) ? 'the ablation\'s log was there already (not timed)' : `one run of ${int(GROK_STEPS)} steps alone took ${minutes.ablation.toFixed(1)} min here (${minutes.stepsPerSec.toFixed(1)} steps/s, the ablation: the same model, data and batches)`}; the ${seedRuns.length} seeds, ${jobs} at a time, ${Number.isNaN(minutes.sweep) ? 'were there already (not timed)' : `${minutes.sweep.toFixed(1)} min`}.`,
    '',
    `| seed 1, ${int(GROK_STEPS)} steps | A: train ≥ 99% | B: held-out ≤ 5/p = ${pct(5 / P)} until | C: held-out ≥ 95% | weight norm at 0 → A → C | final train · held-out accuracy |`,
    '|---|---|---|---|---|---|',
    row('`grokking` (weight decay 1)', seed1),
    row('`--set optim.weightDecay=0`', ablation),
    '',
    '| seed | A | B | C | weight norm at A → C | held-out accuracy at the end (best) |',
    '|---|---|---|---|---|---|',
    ...seedRuns.map((r) => {
      const e = last(r);
      const best = r.bestHeldOut.step === e.step ? '' : ` (${pct(r.bestHeldOut.heldOut.accuracy ?? 0)} at ${int(r.bestHeldOut.step)})`;
      return `| ${r.label} | ${r.A === null ? '—' : int(r.A)} | ${r.B === null ? '—' : int(r.B)} | ${r.C === null ? `— (after ${int(e.step)})` : int(r.C)} | ${r.norms.atA?.toFixed(1) ?? '—'} → ${r.norms.atC.toFixed(1)} | ${pct(e.heldOut.accuracy ?? 0)}${best} |`;
    }),
    '',
    Cs.length === seedRuns.length
      ? `Step C over the ${Cs.length} seeds: min ${int(Math.min(...Cs))}, median ${int(median(Cs))}, max ${int(Math.max(...Cs))}.`
      : `Step C: ${Cs.length} of ${seedRuns.length} seeds reach it within ${int(GROK_STEPS)} steps${Cs.length ? ` (min ${int(Math.min(...Cs))}, median of those ${int(median(Cs))}, max ${int(Math.max(...Cs))})` : ''}.`,
  ];
  return lines.join('\n');
}

/** A layer's heads' best score at each of `steps`, and which head it is. */
function bestHead(t: PatternTrack, layer: number, steps: number[]): { head: number; at: number[] } {
  const heads = t.heads.filter((h) => h.layer === layer);
  const at = (h: PatternTrack['heads'][number], s: number) => h.series[t.steps.indexOf(s)];
  // the head strongest at the middle step, the phase change (then its series before and after)
  const mid = steps[Math.floor(steps.length / 2)];
  const h = heads.reduce((a, b) => (at(b, mid) > at(a, mid) ? b : a));
  return { head: h.head, at: steps.map((s) => at(h, s)) };
}

function inductionRow(name: string, path: string): string {
  const log = openLog(path);
  try {
    const evals = log.readEvals();
    const lossAt = (s: number) => evals.find((e) => e.step === s)!.heldOut.loss.toFixed(2);
    const every = INDUCTION_SCORE_AT[0] < 25 ? 20 : 25;
    const loss = INDUCTION_LOSS_AT.map(lossAt).join(' → ');
    const layers = log.header.config.model.nLayers;
    const ind = trackPattern(log, 'induction', { every });
    const prev = trackPattern(log, 'previous-token', { every });
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' → ');
    const strongest = (t: PatternTrack, layer: number) => t.heads.filter((h) => h.layer === layer).reduce((a, b) => (b.final > a.final ? b : a));
    let indCell: string;
    if (layers < 2) {
      const top = Math.max(...ind.heads.flatMap((h) => h.series));
      indCell = `no layer 2; no head above ${top.toFixed(2)}, ${ind.heads.some((h) => h.firstAbove !== null) ? 'above 0.5 at some step' : 'never above 0.5'}`;
    } else {
      const b = bestHead(ind, 1, INDUCTION_SCORE_AT);
      const s = strongest(ind, 1);
      indCell = `L2 H${b.head + 1} ${fmt(b.at)} (L2 H${s.head + 1}: ${s.final.toFixed(2)} at the end, ${s.firstAbove === null ? 'never above 0.5' : `above 0.5 from step ${s.firstAbove}`})`;
    }
    let prevCell: string;
    if (layers < 2) {
      const s = strongest(prev, 0);
      prevCell = `${s.final.toFixed(2)} at the end, ${prev.heads.some((h) => h.firstAbove !== null) ? 'some above 0.5' : 'none above 0.5'}`;
    } else {
      const b = bestHead(prev, 0, INDUCTION_SCORE_AT);
      const together = INDUCTION_SCORE_AT.map((st) => prev.heads.filter((h) => h.layer === 0).reduce((sum, h) => sum + h.series[prev.steps.indexOf(st)], 0));
      const n = prev.heads.filter((h) => h.layer === 0).length;
      prevCell = `L1 H${b.head + 1} ${fmt(b.at)} (the ${['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'][n - 1] ?? n} layer-1 heads together: ${fmt(together)})`;
    }
    return `| ${name} | ${loss} | ${indCell} | ${prevCell} |`;
  } finally {
    log.close();
  }
}

/** The log of each run of a sweep, by its settings, from the sweep's manifest. */
function sweepLogs(sweep: string): { settings: Record<string, number | string>; path: string }[] {
  const manifest = JSON.parse(readFileSync(join(sweep, 'sweep.json'), 'utf8')) as { runs: { settings: Record<string, number | string>; log: string }[] };
  return manifest.runs.map((r) => ({ settings: r.settings, path: join(sweep, r.log) }));
}

function inductionTable(): string {
  const cols = (xs: number[]) => xs.join(' → ');
  const logs = sweepLogs(join(dir, 'induction'));
  const layers = (n: number) => logs.find((r) => Number(r.settings['model.nLayers']) === n)!.path;
  return [
    `| run | held-out (repeats) loss, step ${cols(INDUCTION_LOSS_AT)} | induction score, best layer-2 head (${cols(INDUCTION_SCORE_AT)}) | previous-token score, best layer-1 head (${cols(INDUCTION_SCORE_AT)}) |`,
    '|---|---|---|---|',
    inductionRow('`induction`', layers(2)),
    inductionRow('`--set model.nLayers=1`', layers(1)),
  ].join('\n');
}

progress(`paper figures${quick ? ' (--quick)' : ''}: runs in ${dir}`);
if (want('grokking')) {
  const steps = quick ? ['--steps', String(GROK_STEPS)] : [];
  const sweepDir = join(dir, 'grokking-seeds');
  const sweepReused = existsSync(join(sweepDir, 'sweep.json')) && sweepLogs(sweepDir).every((r) => existsSync(r.path) && !existsSync(`${r.path}.lock`));
  const sweepSec = weft(['sweep', 'grokking', '--seeds', GROK_SEEDS, '--jobs', jobs, '--out', sweepDir, ...steps]);
  const ablationLog = join(dir, 'grokking-wd0.weft');
  // alone on the machine's threads, as `weft run grokking` runs: its wall time is the budget's
  const ablationSec = existsSync(ablationLog) ? NaN : weft(['run', 'grokking', '--set', 'optim.weightDecay=0', '--out', ablationLog, '--quiet', ...steps]);
  const seedRuns = sweepLogs(sweepDir).map((r) => grokRun(String(r.settings.seed), r.path));
  const ablation = grokRun('wd 0', ablationLog);
  process.stdout.write(`## Grokking${quick ? ' (--quick)' : ''}\n\n${grokkingTables(seedRuns, ablation, { ablation: ablationSec / 60, stepsPerSec: GROK_STEPS / ablationSec, sweep: sweepReused ? NaN : sweepSec / 60 })}\n\n`);
}
if (want('induction')) {
  weft(['sweep', 'induction', '--grid', 'model.nLayers=2,1', '--jobs', jobs, '--out', join(dir, 'induction'), ...(quick ? ['--steps', String(INDUCTION_STEPS)] : [])]);
  process.stdout.write(`## Induction heads${quick ? ' (--quick)' : ''}\n\n${inductionTable()}\n`);
}

// Training speed, as JSON: steps/s for the tiny model and fabric-bench with the reference
// kernels, the fast kernels on 1 thread and on a thread per core, and recording compact and
// full, in both numeric modes (f64acc at the top level, as before; f32acc under `f32acc`);
// matmul GFLOP/s per shape (fast and reference) against the measured peak of register-resident
// multiply-adds (f64x2 for f64acc, f32x4 for f32acc); and, where Debian's python3-torch is
// installed, PyTorch's steps/s (float32) on the same model and batch in the same run (best of 1
// and 2 threads) with the ratios. Then, on stderr, each of issue 24's goals beside its measured
// figure (`goals` in the JSON). Also (not with --quick): a larger shape (d 256, 8 heads, 4 layers,
// T 64, batch 16) against PyTorch in both modes, and both models again beside a competing busy
// process (`busyNeighbour`): how much weft and PyTorch each slow down when a core is taken.
// The machine is shared: compare the ratios measured in one run.
// Usage: npx tsx scripts/bench.ts [--steps-tiny N] [--steps-bench N] [--no-torch] [--quick] [--readme]
// (--readme also writes the figures into README.md's bench block; --readme-from FILE writes it
// from a run's JSON saved before, measuring nothing)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mergeConfig, TINY, validateConfig, type RecordMode, type WeftConfig } from '../src/config/config.ts';
import { runTraining } from '../src/engine/run.ts';
import { Trainer } from '../src/engine/trainer.ts';
import { loadScenario } from '../src/cli/scenarios.ts';
import { kernelsFor, type KernelImplementation } from '../src/kernels/registry.ts';
import { NUMERIC_NAMES, numericModeOf, type Numeric } from '../src/kernels/modes.ts';
import { referenceKernels } from '../src/kernels/reference.ts';
import { Recorder } from '../src/engine/recorder.ts';
import { THREAD_ELEMENTS_MIN } from '../src/engine/record-thread.ts';
import { updateReadmeBlocks } from './readme-blocks.ts';
import { replaySpeed } from './bench-replay.ts';

const { values } = parseArgs({ options: { 'steps-tiny': { type: 'string', default: '200' }, 'steps-bench': { type: 'string', default: '20' }, 'no-torch': { type: 'boolean' }, quick: { type: 'boolean' }, readme: { type: 'boolean' }, 'readme-from': { type: 'string' } } });
const now = () => performance.now(); // timing
const dir = mkdtempSync(join(tmpdir(), 'weft-bench-'));
const bench = await loadScenario('bench');
const configs: Record<string, { config: WeftConfig; steps: number }> = {
  tiny: { config: validateConfig(mergeConfig(bench.config, { model: TINY, steps: 100_000 })), steps: Number(values['steps-tiny']) },
  fabricBench: { config: validateConfig({ ...bench.config, steps: 100_000 }), steps: Number(values['steps-bench']) },
};

/** steps/s over `steps` steps after two warm-up steps (JIT compilation, threads starting). */
function trainSpeed(config: WeftConfig, steps: number, implementation: KernelImplementation, record: RecordMode | null, threads: number): number {
  const c = record ? validateConfig(mergeConfig(config, { record: { mode: record } })) : config;
  const t = new Trainer(c, { implementation, threads });
  t.step();
  t.step();
  // a large model's log on its recording thread from the first timed step, as a long run has it
  const rec = record ? Recorder.create(join(dir, `${record}.weft`), 'bench', c, t, { overwrite: true, thread: t.table.total >= THREAD_ELEMENTS_MIN ? true : undefined }) : null;
  const t0 = now();
  runTraining(t, t.stepsDone + steps, rec ? [rec] : []);
  rec?.writer.abandon(); // inside the time: a recording thread's last steps are written here
  const s = (now() - t0) / 1000;
  return steps / s;
}

/** GFLOP/s of the forward and backward matmuls at a shape (N rows, C in, OC out). */
function matmulSpeed(numeric: Numeric, implementation: KernelImplementation, N: number, C: number, OC: number) {
  const k = kernelsFor(numericModeOf(numeric), implementation, 1);
  const arr = (n: number) => {
    const a = k.alloc('float32', n) as Float32Array;
    for (let i = 0; i < n; i++) a[i] = Math.sin(i) * 0.5; // timing input only
    return a;
  };
  const [inp, w, b, out, dout, dinp, dw, db] = [arr(N * C), arr(OC * C), arr(OC), arr(N * OC), arr(N * OC), arr(N * C), arr(OC * C), arr(OC)];
  const flops = 2 * N * C * OC;
  const time = (f: () => void) => {
    f();
    let reps = 1;
    for (;;) {
      const t0 = now();
      for (let i = 0; i < reps; i++) f();
      const s = (now() - t0) / 1000;
      if (s > 0.2) return s / reps;
      reps *= 2;
    }
  };
  const fwd = time(() => k.matmulForward(out, inp, w, 0, b, 0, N, C, OC));
  const bwd = time(() => k.matmulBackward(dinp, dw, 0, db, 0, dout, inp, w, N, C, OC));
  return { forwardGflops: flops / fwd / 1e9, backwardGflops: (2 * flops) / bwd / 1e9 };
}

/**
 * Where one step's time goes (fast kernels, one thread): milliseconds per step in each kernel of
 * the set, timed around its calls, and the rest (the trainer's own work: gradient norms,
 * clipping, batches, masks; the garbage collector).
 */
function stepBreakdown(config: WeftConfig, steps: number): { msPerStep: number; kernelsMs: Record<string, number>; otherMs: number } {
  const t = new Trainer(config, { implementation: 'fast', threads: 1 });
  const k = t.model.kernels as unknown as Record<string, (...a: unknown[]) => unknown>;
  const ms: Record<string, number> = {};
  let on = false;
  for (const name of Object.keys(referenceKernels).filter((n) => typeof k[n] === 'function' && !n.startsWith('alloc'))) {
    const f = k[name].bind(k);
    ms[name] = 0;
    k[name] = (...a: unknown[]) => {
      if (!on) return f(...a);
      const t0 = now();
      try {
        return f(...a);
      } finally {
        ms[name] += now() - t0;
      }
    };
  }
  t.step();
  t.step();
  on = true;
  const t0 = now();
  for (let i = 0; i < steps; i++) t.step();
  const msPerStep = (now() - t0) / steps;
  const kernelsMs = Object.fromEntries(Object.entries(ms).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([n, v]) => [n, v / steps]));
  return { msPerStep, kernelsMs, otherMs: msPerStep - Object.values(kernelsMs).reduce((a, b) => a + b, 0) };
}

function torchSpeed(config: WeftConfig, steps: number): { stepsPerSec: number; threads: number; byThreads: Record<string, number>; torch: string } | null {
  const python = '/usr/bin/python3';
  if (values['no-torch'] || !existsSync(python)) return null;
  const m = config.model;
  const byThreads: Record<string, number> = {};
  let version = '';
  for (const threads of [1, 2]) {
    const spec = { ...m, batchSize: config.data.batchSize, steps: Math.max(steps, 10), threads };
    const r = spawnSync(python, ['scripts/bench-torch.py', JSON.stringify(spec)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) } });
    if (r.status !== 0) return null; // no torch here: the comparison is skipped, not failed
    const j = JSON.parse(r.stdout) as { stepsPerSec: number; torch: string };
    byThreads[threads] = j.stepsPerSec;
    version = j.torch;
  }
  const best = Object.entries(byThreads).sort((a, b) => b[1] - a[1])[0];
  return { stepsPerSec: best[1], threads: Number(best[0]), byThreads, torch: version };
}

const cores = availableParallelism();
if (values['readme-from']) {
  const saved = JSON.parse(readFileSync(values['readme-from'], 'utf8')) as Record<string, unknown>;
  updateReadmeBlocks('README.md', { bench: readmeBlock(saved) }, true, ['bench']);
  process.exit(0);
}
const out: Record<string, unknown> = { node: process.version, cores };
const withNumeric = (config: WeftConfig, numeric: Numeric) => validateConfig(mergeConfig(config, { numeric }));

/** One model's figures in one numeric mode (PyTorch's measured once per model, for both). */
function modelFigures(name: string, config: WeftConfig, steps: number, torch: ReturnType<typeof torchSpeed>) {
  process.stderr.write(`${name} ${config.numeric}: training\n`);
  // recording is measured at the CLI's default, a thread per core
  const weft: Record<string, Record<string, number>> = {
    reference: { off: trainSpeed(config, Math.max(2, Math.round(steps / 5)), 'reference', null, 1) },
    fast1Thread: { off: trainSpeed(config, steps, 'fast', null, 1) },
    fast: { off: trainSpeed(config, steps, 'fast', null, cores) },
  };
  if (!values.quick) {
    weft.fast.compact = trainSpeed(config, steps, 'fast', 'compact', cores);
    weft.fast.full = trainSpeed(config, steps, 'fast', 'full', cores);
  }
  const fast = weft.fast;
  return {
    parameters: new Trainer(config).model.table.total,
    stepsPerSec: weft,
    fastOverReference: fast.off / weft.reference.off,
    recordingCost: fast.compact ? { compact: fast.off / fast.compact - 1, full: fast.off / fast.full - 1 } : null,
    torch,
    weftOverTorch: torch ? fast.off / torch.stepsPerSec : null,
    stepBreakdown1Thread: stepBreakdown(config, steps),
  };
}

const m = configs.fabricBench.config.model;
const N = configs.fabricBench.config.data.batchSize * m.contextLength;
const shapes: Record<string, [number, number, number]> = { qkv: [N, m.dModel, 3 * m.dModel], proj: [N, m.dModel, m.dModel], fc: [N, m.dModel, m.dFF], mlpProj: [N, m.dFF, m.dModel] };
/** The matmul shapes' speeds in one numeric mode, against its measured multiply-add peak. */
function matmulFigures(numeric: Numeric) {
  process.stderr.write(`matmul shapes ${numeric}\n`);
  const peak = (kernelsFor(numericModeOf(numeric), 'fast', 1) as unknown as { peakGflops(): number }).peakGflops();
  const matmul = Object.fromEntries(Object.entries(shapes).map(([name, [n, c, oc]]) => [`${name} ${n}x${c}x${oc}`, (() => {
    const fast = matmulSpeed(numeric, 'fast', n, c, oc);
    return { fast, fractionOfPeak: { forward: fast.forwardGflops / peak, backward: fast.backwardGflops / peak }, reference: matmulSpeed(numeric, 'reference', n, c, oc) };
  })()]));
  return { peak, matmul };
}

const f32acc: Record<string, unknown> = {};
for (const [name, { config, steps }] of Object.entries(configs)) {
  process.stderr.write(`${name}: PyTorch\n`);
  const torch = torchSpeed(config, steps);
  for (const numeric of NUMERIC_NAMES) {
    const figures = modelFigures(name, withNumeric(config, numeric), steps, torch);
    if (numeric === 'f64acc') out[name] = figures;
    else f32acc[name] = figures;
  }
}
/** Issue 24's larger shape, so the ratio's trend with size is known (no goal): fast kernels, recording off, both modes. */
const LARGE: Partial<WeftConfig['model']> = { nLayers: 4, nHeads: 8, dModel: 256, dFF: 1024, contextLength: 64 };
if (!values.quick) {
  const config = validateConfig(mergeConfig(bench.config, { model: LARGE, data: { batchSize: 16 }, steps: 100_000 }));
  const steps = 5;
  process.stderr.write('large: PyTorch\n');
  const torch = torchSpeed(config, steps);
  const large: Record<string, unknown> = { shape: { ...LARGE, batchSize: 16 }, parameters: new Trainer(config).model.table.total, torch };
  for (const numeric of NUMERIC_NAMES) {
    process.stderr.write(`large ${numeric}: training\n`);
    const weft = { fast1Thread: trainSpeed(withNumeric(config, numeric), steps, 'fast', null, 1), fast: trainSpeed(withNumeric(config, numeric), steps, 'fast', null, cores) };
    large[numeric] = { stepsPerSec: weft, weftOverTorch: torch ? weft.fast / torch.stepsPerSec : null };
  }
  out.large = large;
}

/**
 * Both models beside a competing process that spins on one core (pinned to core 0 with taskset
 * where it exists), against the same measured without it in this run: each one's slowdown
 * (quiet / busy steps/s) and weft's ratio to PyTorch, busy. f32acc (the fast mode) and f64acc.
 */
function busyNeighbour() {
  const taskset = spawnSync('taskset', ['--version']).status === 0;
  const busyArgs = ['-e', 'for(;;){}'];
  const busy = taskset ? spawn('taskset', ['-c', '0', process.execPath, ...busyArgs], { stdio: 'ignore' }) : spawn(process.execPath, busyArgs, { stdio: 'ignore' });
  try {
    const rows: Record<string, unknown> = { pinnedToCore0: taskset };
    for (const [name, { config, steps }] of Object.entries(configs)) {
      process.stderr.write(`${name}: beside a busy process\n`);
      const torch = torchSpeed(config, steps);
      for (const numeric of NUMERIC_NAMES) {
        const c = withNumeric(config, numeric);
        const quiet = (numeric === 'f64acc' ? out : f32acc)[name] as { stepsPerSec: { fast: { off: number }; fast1Thread: { off: number } }; torch: { stepsPerSec: number } | null };
        const weft = { fast1Thread: trainSpeed(c, steps, 'fast', null, 1), fast: trainSpeed(c, steps, 'fast', null, cores) };
        const weftSlowdown = quiet.stepsPerSec.fast.off / weft.fast;
        const torchSlowdown = torch && quiet.torch ? quiet.torch.stepsPerSec / torch.stepsPerSec : null;
        const ratioQuiet = quiet.torch ? quiet.stepsPerSec.fast.off / quiet.torch.stepsPerSec : null;
        const ratioBusy = torch ? weft.fast / torch.stepsPerSec : null;
        rows[`${name} ${numeric}`] = {
          stepsPerSec: weft,
          torch,
          weftSlowdown,
          torchSlowdown,
          weftOverTorch: { quiet: ratioQuiet, busy: ratioBusy },
          // the goal: weft's ratio falls by no more than PyTorch's own slowdown does (both as fractions)
          ratioFall: ratioQuiet && ratioBusy ? 1 - ratioBusy / ratioQuiet : null,
          torchFall: torchSlowdown ? 1 - 1 / torchSlowdown : null,
          // what --threads should be on a busy machine: the faster of one thread and a thread per core, here
          fasterThreads: weft.fast1Thread > weft.fast ? 1 : cores,
        };
      }
    }
    return rows;
  } finally {
    busy.kill('SIGKILL');
  }
}
if (!values.quick) out.busyNeighbour = busyNeighbour();

const mm64 = matmulFigures('f64acc');
out.wasmPeakGflopsPerCore = mm64.peak;
out.matmul = mm64.matmul;
const mm32 = matmulFigures('f32acc');
f32acc.wasmPeakGflopsPerCore = mm32.peak;
f32acc.matmul = mm32.matmul;
out.f32acc = f32acc;
// replay: stateAt on a 100-step compact fabric-bench log against re-execution (bench-replay.ts)
process.stderr.write('replay\n');
out.replay = { compactFabricBench100: replaySpeed(dir, 'bench', validateConfig({ ...bench.config, steps: 100 }), 'compact', values.quick ? 11 : 41) };
// start-up: the CLI against a bare Node (median of 7 runs each, wall clock of the whole process)
process.stderr.write('start-up\n');
const startMs = (args: string[]) => {
  const ms: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = now();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    ms.push(now() - t0);
  }
  return ms.sort((a, b) => a - b)[3];
};
// the compiled CLI, as the package runs it: bin/weft.mjs falls back to the sources through tsx when dist/ is stale
const built = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--if-stale'], { encoding: 'utf8' });
if (built.status !== 0) throw new Error(`scripts/build.ts --if-stale: ${built.stderr}`);
const small = join(dir, 'small.weft');
spawnSync(process.execPath, ['bin/weft.mjs', 'run', 'baseline', '--model', 'tiny', '--steps', '3', '--out', small, '--quiet'], { encoding: 'utf8' });
const bare = startMs(['-e', '0']);
const startup = { help: startMs(['bin/weft.mjs', '--help']), inspect: startMs(['bin/weft.mjs', 'inspect', small]), list: startMs(['bin/weft.mjs', 'run', '--list']) };
out.startup = { bareNodeMs: bare, ms: startup, overBareNode: Object.fromEntries(Object.entries(startup).map(([k, v]) => [k, v / bare])) };
out.goals = goals(out);
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
process.stderr.write(`\n${goalTable(out.goals as Goal[])}\n`);
rmSync(dir, { recursive: true, force: true });
if (values.readme) updateReadmeBlocks('README.md', { bench: readmeBlock(out) }, true, ['bench']);

/** The README's table of these figures. */
function readmeBlock(o: Record<string, unknown>): string {
  type Row = { stepsPerSec: Record<string, Record<string, number>>; torch: { stepsPerSec: number } | null; weftOverTorch: number | null; recordingCost: Record<string, number> | null };
  const f = (x: number) => x.toFixed(x < 10 ? 2 : 1);
  const pct = (x: number | undefined) => (x === undefined ? '–' : `${Math.round(100 * x)}%`);
  const lines = [
    `Measured by \`npm run bench\` (Node ${process.versions.node}, ${cores} cores; steps/s, recording off unless named):`,
    '',
    '| model | reference | fast, 1 thread | fast, ' + cores + ' threads | PyTorch (best of 1, 2 threads) | weft / PyTorch | recording cost compact, full |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const [name, label] of [['fabricBench', 'fabric-bench'], ['tiny', 'tiny']] as const) {
    const r = o[name] as Row;
    lines.push(`| ${label} | ${f(r.stepsPerSec.reference.off)} | ${f(r.stepsPerSec.fast1Thread.off)} | ${f(r.stepsPerSec.fast.off)} | ${r.torch ? f(r.torch.stepsPerSec) : 'not installed'} | ${r.weftOverTorch === null ? '–' : `${r.weftOverTorch.toFixed(2)}×`} | ${pct(r.recordingCost?.compact)}, ${pct(r.recordingCost?.full)} |`);
  }
  const mm = o.matmul as Record<string, { fast: { forwardGflops: number; backwardGflops: number }; fractionOfPeak: { forward: number; backward: number } }>;
  const fr = Object.values(mm).flatMap((m) => [m.fractionOfPeak.forward, m.fractionOfPeak.backward]);
  const gf = Object.values(mm).flatMap((m) => [m.fast.forwardGflops, m.fast.backwardGflops]);
  type Breakdown = { msPerStep: number; kernelsMs: Record<string, number>; otherMs: number };
  const where = (b: Breakdown) => {
    const share = (x: number) => `${Math.round((100 * x) / b.msPerStep)}%`;
    const km = b.kernelsMs;
    const group = (...names: string[]) => names.reduce((sum, n) => sum + (km[n] ?? 0), 0);
    return `${f(b.msPerStep)} ms): matmuls ${share(group('matmulForward', 'matmulBackward'))}, GELU ${share(group('activationForward', 'activationBackward'))}, attention ${share(group('attentionForward', 'attentionBackward'))}, layer norm ${share(group('layernormForward', 'layernormBackward'))}, Adam ${share(group('adamUpdate'))}, the rest of the kernels ${share(Object.values(km).reduce((a, c) => a + c, 0) - group('matmulForward', 'matmulBackward', 'activationForward', 'activationBackward', 'attentionForward', 'attentionBackward', 'layernormForward', 'layernormBackward', 'adamUpdate'))}, outside the kernels ${share(b.otherMs)}`;
  };
  const breakdown = (mode: Record<string, unknown>) => (mode.fabricBench as { stepBreakdown1Thread: Breakdown }).stepBreakdown1Thread;
  lines.push('', `Where a fabric-bench step goes (fast kernels, one thread; \`f64acc\`, ${where(breakdown(o))}; \`f32acc\`, ${where(breakdown(o.f32acc as Record<string, unknown>))}.`);
  const st = o.startup as { bareNodeMs: number; ms: Record<string, number>; overBareNode: Record<string, number> };
  lines.push('', `Start-up (the compiled CLI, median of 7): \`weft --help\` ${Math.round(st.ms.help)} ms, \`weft inspect <small log>\` ${Math.round(st.ms.inspect)} ms, \`weft run --list\` ${Math.round(st.ms.list)} ms — ${st.overBareNode.help.toFixed(1)}×, ${st.overBareNode.inspect.toFixed(1)}×, ${st.overBareNode.list.toFixed(1)}× a bare \`node -e 0\` (${Math.round(st.bareNodeMs)} ms).`);
  const large = o.large as ({ shape: Record<string, number>; parameters: number; torch: { stepsPerSec: number } | null } & Record<string, { stepsPerSec: { fast: number }; weftOverTorch: number | null }>) | undefined;
  if (large) {
    const r = (n: string) => `${f(large[n].stepsPerSec.fast)} steps/s${large[n].weftOverTorch === null ? '' : ` (${large[n].weftOverTorch!.toFixed(2)}×)`}`;
    lines.push('', `A larger shape (d 256, 8 heads, 4 layers, T 64, batch 16: ${large.parameters.toLocaleString('en-US')} parameters; fast kernels, ${cores} threads): f32acc ${r('f32acc')}, f64acc ${r('f64acc')}${large.torch ? `, PyTorch ${f(large.torch.stepsPerSec)}` : ''}.`);
  }
  const busy = o.busyNeighbour as Record<string, { weftSlowdown: number; torchSlowdown: number | null; weftOverTorch: { busy: number | null }; fasterThreads: number }> | undefined;
  if (busy) {
    const row = (k: string, label: string) => {
      const b = busy[k];
      return `${label} weft at ${(1 / b.weftSlowdown).toFixed(2)}× its quiet steps/s${b.torchSlowdown === null ? '' : `, PyTorch at ${(1 / b.torchSlowdown).toFixed(2)}×; weft / PyTorch then ${b.weftOverTorch.busy!.toFixed(2)}×`} (fastest with ${b.fasterThreads === 1 ? '1 thread' : `${b.fasterThreads} threads`})`;
    };
    lines.push('', `Beside a process busy on one core (one run each, quiet and busy, on a shared machine: a ratio above 1 is the machine's noise): ${row('fabricBench f32acc', 'fabric-bench f32acc')}; ${row('tiny f32acc', 'tiny f32acc')}; ${row('fabricBench f64acc', 'fabric-bench f64acc')}; ${row('tiny f64acc', 'tiny f64acc')}.`);
  }
  const rp = (o.replay as { compactFabricBench100: { medianN: number; stateAtMsMedian: number; reexecuteToMedianNMs: number; speedup: number } }).compactFabricBench100;
  lines.push('', `Replay (\`stateAt\`, decoding on ${cores} threads) of a 100-step compact fabric-bench log at the median N (${rp.medianN}): ${Math.round(rp.stateAtMsMedian)} ms against ${Math.round(rp.reexecuteToMedianNMs)} ms of re-execution, ${rp.speedup.toFixed(1)}×.`);
  lines.push('', `Matmuls (one thread): ${f(Math.min(...gf))}–${f(Math.max(...gf))} GFLOP/s, ${Math.round(100 * Math.min(...fr))}–${Math.round(100 * Math.max(...fr))}% of the measured peak of register-resident \`f64x2\` multiply-adds (${f(o.wasmPeakGflopsPerCore as number)} GFLOP/s per core).`);
  lines.push('', 'Issue 24\'s goals in this run:', '', '| goal | target | measured | met |', '|---|---|---|---|');
  for (const g of o.goals as Goal[]) lines.push(`| ${g.goal} | ${g.kind === 'min' ? '≥' : '≤'} ${g.target.toFixed(2)} | ${g.measured === null ? '–' : g.measured.toFixed(2)} | ${goalMet(g)} |`);
  return lines.join('\n');
}

interface Goal {
  goal: string;
  /** 'min': the figure must reach the target; 'max': stay under it */
  kind: 'min' | 'max';
  target: number;
  measured: number | null;
}

type ModelRow = { weftOverTorch: number | null; recordingCost: { compact: number; full: number } | null };
type MatmulRow = Record<string, { fractionOfPeak: { forward: number; backward: number } }>;

/**
 * Issue 24's goals that this bench measures, each with its figure (null when not measured: no
 * PyTorch, or --quick), and the earlier rounds' start-up goal.
 */
function goals(o: Record<string, unknown>): Goal[] {
  const f32 = o.f32acc as Record<string, unknown>;
  const row = (mode: Record<string, unknown>, name: string) => mode[name] as ModelRow;
  const minPeak = (mm: MatmulRow) => Math.min(...Object.values(mm).flatMap((x) => [x.fractionOfPeak.forward, x.fractionOfPeak.backward]));
  const list: Goal[] = [
    { goal: 'f32acc fabric-bench / PyTorch', kind: 'min', target: 1.3, measured: row(f32, 'fabricBench').weftOverTorch },
    { goal: 'f32acc tiny / PyTorch', kind: 'min', target: 2.0, measured: row(f32, 'tiny').weftOverTorch },
    { goal: 'f32acc matmuls, slowest fraction of the f32x4 peak', kind: 'min', target: 0.7, measured: minPeak(f32.matmul as MatmulRow) },
    { goal: 'f64acc fabric-bench / PyTorch', kind: 'min', target: 1.0, measured: row(o, 'fabricBench').weftOverTorch },
    { goal: 'f64acc tiny / PyTorch', kind: 'min', target: 1.5, measured: row(o, 'tiny').weftOverTorch },
  ];
  for (const [label, mode] of [['f64acc', o], ['f32acc', f32]] as const) {
    for (const [name, model] of [['tiny', 'tiny'], ['fabricBench', 'fabric-bench']] as const) {
      const r = row(mode, name).recordingCost;
      list.push({ goal: `${label} ${model} recording cost, compact`, kind: 'max', target: 0.15, measured: r?.compact ?? null });
      list.push({ goal: `${label} ${model} recording cost, full`, kind: 'max', target: 0.4, measured: r?.full ?? null });
    }
  }
  const busy = o.busyNeighbour as Record<string, { ratioFall: number | null; torchFall: number | null }> | undefined;
  for (const [key, label] of [['fabricBench f32acc', 'fabric-bench f32acc'], ['tiny f32acc', 'tiny f32acc'], ['fabricBench f64acc', 'fabric-bench f64acc'], ['tiny f64acc', 'tiny f64acc']] as const) {
    const b = busy?.[key];
    if (!b || b.torchFall === null) continue;
    // target: PyTorch's own fall in this run (measured beside it)
    list.push({ goal: `${label} ratio's fall beside a busy process (PyTorch's own)`, kind: 'max', target: b.torchFall, measured: b.ratioFall });
  }
  const replay = (o.replay as { compactFabricBench100: { speedup: number } }).compactFabricBench100;
  list.push({ goal: 'replay / re-execution, 100-step compact log, median N', kind: 'min', target: 10, measured: replay.speedup });
  const st = o.startup as { overBareNode: Record<string, number> };
  list.push({ goal: 'start-up, weft --help / bare node', kind: 'max', target: 3, measured: st.overBareNode.help });
  return list;
}

function goalMet(g: Goal): string {
  return g.measured === null ? '–' : (g.kind === 'min' ? g.measured >= g.target : g.measured <= g.target) ? 'yes' : 'no';
}

/** The goals as a table: goal, target, measured, met. */
function goalTable(list: Goal[]): string {
  const lines = ['goal (issue 24; measured in this run)                      target   measured  met'];
  for (const g of list) {
    const met = goalMet(g);
    const fmt = (x: number) => x.toFixed(2);
    lines.push(`${g.goal.padEnd(58)} ${(g.kind === 'min' ? '≥ ' : '≤ ') + fmt(g.target)}   ${g.measured === null ? '–'.padStart(8) : fmt(g.measured).padStart(8)}  ${met}`);
  }
  return lines.join('\n');
}

// The README's figures, from fresh runs: writes each block between its markers in README.md
// (`<!-- figures:NAME -->` … `<!-- /figures:NAME -->`), or with --check compares them and exits 1
// where a figure moved. Wall-clock figures (steps/s, seconds) are measured anew and are not
// compared; every other number is deterministic and must agree exactly.
// Usage: npx tsx scripts/readme-figures.ts [--check] [--readme README.md]
import { mkdtempSync, rmSync } from 'node:fs';
import { updateReadmeBlocks } from './readme-blocks.ts';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mergeConfig, TINY, validateConfig, type RecordMode, type WeftConfig } from '../src/config/config.ts';
import { runTraining } from '../src/engine/run.ts';
import { SummaryObserver } from '../src/engine/summary.ts';
import { Trainer } from '../src/engine/trainer.ts';
import { loadScenario } from '../src/cli/scenarios.ts';
import { formatSummary, fmtNorm } from '../src/cli/format.ts';
import { fmtBytes } from '../src/cli/run.ts';
import { makeHeader, Recorder } from '../src/engine/recorder.ts';
import { LogWriter } from '../src/log/writer.ts';
import { openLog } from '../src/log/reader.ts';
import { stateAt } from '../src/replay/state.ts';
import { useThreads, type KernelImplementation } from '../src/kernels/registry.ts';

// as the CLI runs: the fast kernels on a thread per core (the bits are the same either way)
useThreads(availableParallelism());
const { values } = parseArgs({ options: { check: { type: 'boolean' }, readme: { type: 'string', default: 'README.md' } } });
const dir = mkdtempSync(join(tmpdir(), 'weft-readme-'));
const now = () => performance.now(); // timing
const progress = (s: string) => process.stderr.write(`${s}\n`);

/**
 * The baseline as `npm start` trains it (its summary and speed), then once more recorded compact
 * and full at once, for the sizes and replay times of every mode.
 */
async function baselineBlocks(): Promise<Record<string, string>> {
  const s = await loadScenario('baseline');
  const modes: RecordMode[] = ['summary', 'compact', 'full'];
  const record = (t: Trainer, ms: RecordMode[]) => ms.map((mode) => {
    const c: WeftConfig = validateConfig(mergeConfig(s.config, { record: { mode } }));
    return new Recorder(LogWriter.create(join(dir, `baseline-${mode}.weft`)), makeHeader(s.name, c, t), t);
  });
  progress(`baseline: ${s.config.steps} steps as npm start runs it, then recorded compact and full`);
  const t = new Trainer(s.config);
  const summary = new SummaryObserver();
  const [summaryRecorder] = record(t, ['summary']);
  const t0 = now();
  summaryRecorder.finish(runTraining(t, s.config.steps, [summary, summaryRecorder]), t);
  const stepsPerSec = s.config.steps / ((now() - t0) / 1000);
  const t2 = new Trainer(s.config);
  const others = record(t2, ['compact', 'full']);
  const result = runTraining(t2, s.config.steps, others);
  for (const r of others) r.finish(result, t2);
  const recorders = [summaryRecorder, ...others];
  const replayAt = Math.round(s.config.steps / 2);
  const rows = modes.map((mode, i) => {
    const path = join(dir, `baseline-${mode}.weft`);
    const log = openLog(path);
    const t1 = now();
    stateAt(log, replayAt);
    const replayMs = now() - t1;
    log.close();
    const bytes = recorders[i].writer.bytesWritten;
    const answers = {
      summary: 'loss, lr, norms per tensor and layer, clip factor, masks, batches; states by re-running from the nearest keyframe',
      compact: 'all of summary, and every state from the recorded gradient through the optimizer (no training re-run)',
      full: 'all of compact, and every state by decoding alone (also backwards from the next keyframe)',
    }[mode];
    return `| \`${mode}\`${mode === 'summary' ? ' (npm start)' : ''} | ${fmtBytes(bytes)} | ${fmtBytes(Math.round(bytes / s.config.steps))} | ${(replayMs / 1000).toFixed(1)} s | ${answers} |`;
  });
  return {
    'start-summary': ['```', formatSummary(summary.summary()!, stepsPerSec), '```'].join('\n'),
    'record-modes': [
      `The baseline's ${s.config.steps} steps (${t.model.table.total.toLocaleString('en-US')} parameters), keyframes every ${s.config.record.keyframeEvery} steps; replay = \`weft replay --to ${replayAt}\`:`,
      '',
      '| mode | log | per step | replay | what it can answer |',
      '|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  };
}

/** What no-residuals and vanishing-gradients show, in the sentence the README tells it with. */
async function lessonBlock(): Promise<string> {
  const lines: string[] = [];
  for (const [name, steps] of [['no-residuals', 30], ['vanishing-gradients', 60]] as const) {
    const s = await loadScenario(name);
    const c = validateConfig(mergeConfig(s.config, { steps }));
    const t = new Trainer(c);
    const summary = new SummaryObserver();
    progress(`${name}: ${steps} steps`);
    runTraining(t, steps, [summary]);
    const layers = summary.summary()!.layers;
    const L = c.model.nLayers;
    const at = (l: number) => fmtNorm(layers[l].gradNormLast);
    lines.push(`- \`npx weft run ${name}${steps !== s.config.steps ? ` --steps ${steps}` : ''}\`: at step ${steps} the gradient norm is ${at(L)} in layer ${L}, ${at(1)} in layer 1 and ${at(0)} at the embeddings.`);
  }
  return lines.join('\n');
}

/** Training speed, recording off: the one place the README states it (timing; not compared). */
async function speedBlock(): Promise<string> {
  const bench = await loadScenario('bench');
  const measure = (c: WeftConfig, steps: number, implementation: KernelImplementation) => {
    const t = new Trainer(c, { implementation });
    t.step(); // warm-up: JIT compilation and threads starting are not what we measure
    t.step();
    const t0 = now();
    for (let i = 0; i < steps; i++) t.step();
    return steps / ((now() - t0) / 1000);
  };
  progress('speed: tiny and fabric-bench');
  const tiny = validateConfig(mergeConfig(bench.config, { model: TINY, steps: 1000 }));
  const fabric = validateConfig({ ...bench.config, steps: 1000 });
  const f = (x: number) => x.toFixed(x < 10 ? 2 : 1);
  return `Measured (Node ${process.versions.node}, ${availableParallelism()} cores, recording off): fabric-bench ${f(measure(fabric, 20, 'fast'))} steps/s with the fast kernels on ${availableParallelism()} threads (${f(measure(fabric, 3, 'reference'))} with the reference kernels), tiny ${f(measure(tiny, 200, 'fast'))} (${f(measure(tiny, 50, 'reference'))}).`;
}

const blocks = { ...(await baselineBlocks()), lessons: await lessonBlock(), speed: await speedBlock() };
rmSync(dir, { recursive: true, force: true });

const moved = updateReadmeBlocks(values.readme!, blocks, !values.check, ['speed']);
if (values.check) {
  if (moved.length) {
    process.stderr.write(`README figures that a fresh run does not reproduce: ${moved.join(', ')}\nupdate them with: npx tsx scripts/readme-figures.ts\n`);
    process.exit(1);
  }
  process.stderr.write(`README figures agree with a fresh run (${Object.keys(blocks).join(', ')})\n`);
} else {
  process.stderr.write(`${values.readme}: ${moved.length ? `updated ${moved.join(', ')}` : 'figures unchanged'} (timings measured anew)\n`);
}

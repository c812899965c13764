// The viewer's speed on a 100-step fabric-bench full log (issue goals: the first view's data
// ≤ 1 s, a step's drill-down ≤ 0.5 s): over HTTP from a viewer started in this process, as the
// page asks, from a `weft view` in its own process. The first view = the run list and the overview (every step record read and
// checksummed), each time on a freshly started viewer. A drill-down = one step's tensors (the
// state before it replayed, the step re-executed and its hash checked, norms and histograms), at
// steps spread over the log, after the walk the overview starts (layer metrics; states kept in
// memory) — and cold, on a fresh viewer, from the log's keyframes alone. Also: the walk, the step
// after one just opened, and an attention grid (when the run has words). Prints JSON.
// Usage: npx tsx scripts/bench-view.ts [--steps 100] [--log FILE (reuse; written when missing)]
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Trainer } from '../src/engine/trainer.ts';
import { runTraining } from '../src/engine/run.ts';
import { mergeConfig, validateConfig } from '../src/config/config.ts';
import { loadScenario } from '../src/cli/scenarios.ts';
import { Recorder } from '../src/engine/recorder.ts';
import { useThreads } from '../src/kernels/registry.ts';
import { availableParallelism } from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '100' }, log: { type: 'string' } } });
const steps = Number(values.steps);
const path = values.log ?? join(mkdtempSync(join(tmpdir(), 'weft-bench-view-')), 'fabric-full.weft');
const now = () => performance.now(); // timing
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (!existsSync(path)) {
  useThreads(availableParallelism());
  const bench = await loadScenario('bench');
  const c = validateConfig(mergeConfig(bench.config, { steps, record: { mode: 'full' } }));
  const t = new Trainer(c);
  const rec = Recorder.create(path, 'bench', c, t, { overwrite: true });
  process.stderr.write(`recording ${steps} fabric-bench steps (full) to ${path}…\n`);
  rec.finish(runTraining(t, c.steps, [rec]), t);
}

/** `weft view <log>` in its own process, as a user starts it (the page's requests come from elsewhere). */
async function startViewer(o: { paths: string[] }): Promise<{ url: string; close(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(new URL('../bin/weft.mjs', import.meta.url)), 'view', ...o.paths, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (m) resolve(m[0]);
    });
    child.on('exit', (code) => reject(new Error(`weft view exited ${code}: ${out}`)));
  });
  return { url, close: () => new Promise<void>((resolve) => { child.on('exit', () => resolve()); child.kill('SIGINT'); }) };
}

async function get(base: string, p: string): Promise<{ ms: number; bytes: number }> {
  const t0 = now();
  const r = await fetch(base + p.slice(1));
  const body = await r.text();
  if (!r.ok) throw new Error(`${p}: ${r.status} ${body}`);
  return { ms: now() - t0, bytes: body.length };
}

const firstViewMs: number[] = [];
for (let i = 0; i < 5; i++) {
  const v = await startViewer({ paths: [path] });
  const t0 = now();
  await get(v.url, '/api/runs');
  await get(v.url, '/api/runs/0/overview');
  firstViewMs.push(now() - t0);
  await v.close();
}

const at = [steps, Math.round(steps * 0.37), Math.round(steps * 0.5), Math.round(steps * 0.73), Math.round(steps * 0.12), Math.round(steps * 0.91), Math.round(steps * 0.25)];
// cold: a fresh viewer asked for steps at once, before the walk over the states has kept any
const cold = [];
for (const n of at.slice(1, 4)) {
  const v = await startViewer({ paths: [path] });
  cold.push({ step: n, ...(await get(v.url, `/api/runs/0/steps/${n}`)) });
  await v.close();
}
// as the page goes: the overview starts the walk (layer metrics, states kept); then drill-downs
const v = await startViewer({ paths: [path] });
const t0 = now();
await get(v.url, '/api/runs/0/overview');
const layers = await get(v.url, '/api/runs/0/layers');
const walkMs = now() - t0;
const drill = [];
for (const n of at) drill.push({ step: n, ...(await get(v.url, `/api/runs/0/steps/${n}`)) });
// scrubbing: the next step after one just opened
const next = await get(v.url, `/api/runs/0/steps/${at[at.length - 1] + 1}`);
// fabric-bench trains on the random corpus: no words, so no attention grid to time
const info = (await (await fetch(`${v.url}api/runs`)).json()) as { meta: { hasWords: boolean } }[];
const attention = info[0].meta.hasWords ? await get(v.url, `/api/runs/0/attention?step=${steps}&layer=4&head=7&sentence=${encodeURIComponent('The scientists published their findings after they completed the experiment.')}`) : null;
await v.close();

const later = drill.map((d) => d.ms);
const out = {
  log: { path, steps, sizeMB: +(statSync(path).size / 1e6).toFixed(1) },
  firstView: { medianMs: Math.round(median(firstViewMs)), runsMs: firstViewMs.map(Math.round), goalMs: 1000 },
  drillDown: { medianMs: Math.round(median(later)), maxMs: Math.round(Math.max(...later)), perStep: drill.map((d) => ({ step: d.step, ms: Math.round(d.ms), kB: Math.round(d.bytes / 1e3) })), goalMs: 500 },
  drillDownCold: { medianMs: Math.round(median(cold.map((d) => d.ms))), perStep: cold.map((d) => ({ step: d.step, ms: Math.round(d.ms) })) },
  nextStepMs: Math.round(next.ms),
  walkMs: Math.round(walkMs),
  attentionMs: attention ? Math.round(attention.ms) : null,
};
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);

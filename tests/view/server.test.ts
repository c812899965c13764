import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY } from '../../src/config/config.ts';
import { openLog } from '../../src/log/reader.ts';
import { paramTable } from '../../src/log/records.ts';
import { stepView } from '../../src/log/steps.ts';
import { gradNorms } from '../../src/optim/clip.ts';
import { stateAt } from '../../src/replay/state.ts';
import { startViewer, type Viewer } from '../../src/view/server.ts';
import { histogram } from '../../src/view/step.ts';
import { Checkpoints } from '../../src/view/checkpoints.ts';
import { layerMetrics } from '../../src/view/layers.ts';
import { runSeries } from '../../src/report/series.ts';
import type { LayerMetrics, Overview, PatternsView, RunInfo, StepDetail } from '../../src/view/types.ts';
import { trackPattern } from '../../src/replay/track.ts';
import { ROOT, weft } from '../helpers.ts';
import { config, recordRun, tempDir } from '../log/helpers.ts';

const dir = tempDir();
const full = join(dir, 'full.weft');
const sgd = join(dir, 'sgd.weft');
const corrupt = join(dir, 'corrupt.weft');
const torn = join(dir, 'torn.weft');
const steps = 9;

/** A raw GET (no URL normalization by a client library): status and body. */
function rawGet(url: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function getJson<T>(v: Viewer, path: string): Promise<T> {
  const r = await rawGet(v.url, path);
  expect(r.status, r.body).toBe(200);
  return JSON.parse(r.body) as T;
}

describe('weft view: the server and what it computes', () => {
  let v: Viewer;
  let corruptOffset = 0;

  beforeAll(async () => {
    recordRun(full, config({ model: TINY, steps, record: { mode: 'full', keyframeEvery: 4 }, data: { sentences: 200 } }));
    recordRun(sgd, config({ model: TINY, steps: 5, optim: { kind: 'sgd', lr: 0.05 }, clip: { maxNorm: 0.5 }, record: { mode: 'compact', keyframeEvery: 100 }, data: { sentences: 200 } }));
    // a flipped byte inside step 4's record; a log cut inside its last record
    const bytes = readFileSync(full);
    const log = openLog(full);
    corruptOffset = log.offsetOf('step', 4);
    log.close();
    const damaged = Uint8Array.from(bytes);
    damaged[corruptOffset + 40] ^= 0x10;
    writeFileSync(corrupt, damaged);
    copyFileSync(full, torn);
    const log2 = openLog(full);
    writeFileSync(torn, bytes.subarray(0, log2.offsetOf('step', 7) + 100));
    log2.close();
    v = await startViewer({ paths: [full, sgd, corrupt, torn, join(dir, 'missing.weft')] });
  });
  afterAll(async () => {
    await v?.close();
  });

  it('binds to 127.0.0.1 by default and serves the page and its bundled script (no CDN)', async () => {
    expect(new URL(v.url).hostname).toBe('127.0.0.1');
    const page = await rawGet(v.url, '/');
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<script src="\/app.js">/);
    expect(page.body).not.toMatch(/https?:\/\//);
    const js = await rawGet(v.url, '/app.js');
    expect(js.status).toBe(200);
    expect(js.body).toMatch(/uPlot|u-over/); // the chart library is in the bundle
  });

  it('refuses anything that is not one of the named logs: ../, absolute paths, encoded paths, unknown ids, other methods, foreign hosts', async () => {
    for (const p of ['/../../etc/passwd', '/etc/passwd', '/api/runs/..%2F..%2Fetc%2Fpasswd/overview', `/api/runs/${encodeURIComponent(full)}/overview`, `/${full}`,
      '/api/runs/5/overview', '/api/runs/-1/overview', '/api/runs/01/overview', '/api/runs/0/../../x', '/api/runs/0/steps/1/../../../etc/passwd', '/src/view/server.ts', '/package.json']) {
      const r = await rawGet(v.url, p);
      expect(r.status, p).toBe(404);
      expect(r.body).not.toMatch(/root:|"name": ?"weft"/);
    }
    expect((await rawGet(v.url, '/api/runs', {}, 'POST')).status).toBe(405);
    const rebinding = await rawGet(v.url, '/api/runs', { host: 'attacker.example:80' });
    expect(rebinding.status).toBe(403);
  });

  it('a step is named as people write it: "-0", "1e0", " 1", "0x1" are no step of a healthy log (not "corrupt")', async () => {
    for (const s of ['-0', '1e0', '%201', '0x1', '1.0', '+1']) {
      const r = await rawGet(v.url, `/api/runs/0/steps/${s}`);
      expect(r.status, s).toBe(400);
      expect(r.body, s).toMatch(/not a readable step/);
      expect(r.body, s).not.toMatch(/corrupt/);
    }
    expect((await rawGet(v.url, '/api/runs/0/steps/1')).status).toBe(200);
  });

  it('lists the logs with their problems: corrupt (offset), torn, missing', async () => {
    const runs = await getJson<RunInfo[]>(v, '/api/runs');
    expect(runs.map((r) => r.name)).toEqual(['full.weft', 'sgd.weft', 'corrupt.weft', 'torn.weft', 'missing.weft']);
    expect(runs[0].problem).toBeNull();
    expect(runs[3].problem).toMatchObject({ kind: 'torn', readable: '6 complete steps recovered' });
    expect(runs[4]).toMatchObject({ meta: null, problem: { kind: 'unreadable' } });
    expect(runs[4].problem!.message).toMatch(/missing\.weft: no such file/);
    const o = await getJson<Overview>(v, '/api/runs/2/overview');
    expect(o.series.steps).toEqual([1, 2, 3]);
    expect(o.problem).toMatchObject({ kind: 'corrupt', offset: corruptOffset, readable: 'steps 1…3' });
    expect(o.problem!.message).toMatch(new RegExp(`corrupt at byte ${corruptOffset}`));
    // a step past the damage is refused, not replayed through it
    const r = await rawGet(v.url, '/api/runs/2/steps/5');
    expect(r.status).toBe(400);
  });

  it('a step’s per-tensor gradient norms are what weft inspect --step N --json prints; every array matches replay', async () => {
    const n = 6;
    const d = await getJson<StepDetail>(v, `/api/runs/0/steps/${n}`);
    const inspect = weft(['inspect', full, '--step', String(n), '--json']);
    expect(inspect.code, inspect.stderr).toBe(0);
    const j = JSON.parse(inspect.stdout);
    expect(Object.fromEntries(d.tensors.map((t) => [t.name, t.gradNormRecorded]))).toEqual(j.gradNorm.perTensor);
    expect([d.loss, d.lr, d.clipFactor, d.gradNormGlobal]).toEqual([j.loss, j.lr, j.clipFactor, j.gradNorm.global]);
    // weights, buffers and Δw from replay, independently of the re-executed step
    const log = openLog(full);
    const table = paramTable(log.header);
    const after = stateAt(log, n);
    const before = stateAt(log, n - 1);
    const dw = Float64Array.from(after.params, (x, i) => x - before.params[i]);
    expect(d.tensors.map((t) => t.norms.w)).toEqual(Array.from(gradNorms(after.params, table).perTensor));
    expect(d.tensors.map((t) => t.norms.m)).toEqual(Array.from(gradNorms(after.m, table).perTensor));
    expect(d.tensors.map((t) => t.norms.v)).toEqual(Array.from(gradNorms(after.v, table).perTensor));
    expect(d.tensors.map((t) => t.norms.dw)).toEqual(Array.from(gradNorms(dw, table).perTensor));
    expect(d.stateHash).toBe(stepView(log.readStep(n)).stateHash);
    // no clipping configured: the gradient the optimizer used is the recorded one
    expect(d.tensors.map((t) => t.norms.g)).toEqual(d.tensors.map((t) => t.gradNormRecorded));
    const t0 = table.tensors[0];
    expect(d.tensors[0].hist.w).toEqual(histogram(after.params, t0.offset, t0.offset + t0.size));
    expect(d.dropout?.map((s) => s.site)).toEqual(log.header.dropoutSites);
    for (const s of d.dropout!) expect(s.keepRate).toBeGreaterThan(0.8);
    log.close();
  });

  it('layer metrics: ‖Δw‖/‖w‖, ‖m‖, ‖v‖ and the step size equal norms of replayed states; SGD’s step size is its learning rate', async () => {
    const l = await getJson<LayerMetrics>(v, '/api/runs/0/layers');
    const log = openLog(full);
    const table = paramTable(log.header);
    const metric = (id: string) => l.metrics.find((m) => m.id === id)!.values!;
    for (const n of [1, 5, 9]) {
      const a = stateAt(log, n - 1);
      const b = stateAt(log, n);
      const dw = gradNorms(Float64Array.from(b.params, (x, i) => x - a.params[i]), table).perLayer;
      const w = gradNorms(a.params, table).perLayer;
      const i = l.steps.indexOf(n);
      expect(metric('updateRatio').map((row) => row[i])).toEqual(Array.from(dw, (x, k) => x / w[k]));
      expect(metric('mNorm').map((row) => row[i])).toEqual(Array.from(gradNorms(b.m, table).perLayer));
      expect(metric('vNorm').map((row) => row[i])).toEqual(Array.from(gradNorms(b.v, table).perLayer));
      expect(metric('gradNorm').map((row) => row[i])).toEqual(Array.from(stepView(log.readStep(n)).gradNormPerLayer));
    }
    log.close();
    // SGD: Δw = −lr·g (clipped), so ‖Δw‖/‖g‖ is lr up to float32 rounding of the weights
    const s = await getJson<LayerMetrics>(v, '/api/runs/1/layers');
    for (const row of s.metrics.find((m) => m.id === 'stepSize')!.values!) for (const x of row) expect(Math.abs((x as number) / 0.05 - 1)).toBeLessThan(1e-4);
    expect(s.metrics.find((m) => m.id === 'mNorm')).toMatchObject({ values: null, why: 'sgd keeps no first buffer' });
    // clipped: the gradient the optimizer used is the recorded one times the clip factor
    const d = await getJson<StepDetail>(v, '/api/runs/1/steps/2');
    expect(d.clipFactor as number).toBeLessThan(1);
    d.tensors.forEach((t) => expect(Math.abs((t.norms.g as number) / ((t.gradNormRecorded as number) * (d.clipFactor as number)) - 1)).toBeLessThan(1e-6));
  });

  it('kept states: every state rebuilt from them equals replay’s, bit for bit (full: forwards and backwards; compact: forwards); a wrong one is caught by the hash', async () => {
    for (const [path, mode] of [[full, 'full'], [sgd, 'compact']] as const) {
      const log = openLog(path);
      // a budget of one byte keeps no state past the first
      expect(new Checkpoints(log, 1).every).toBeGreaterThan(log.stepNumbers.length);
      const dense = new Checkpoints(log, 2 ** 30);
      expect(dense.every).toBe(1);
      await layerMetrics(0, log, runSeries(log), dense);
      expect(dense.size).toBe(log.stepNumbers.length);
      const s0 = stateAt(log, 0);
      const stateBytes = s0.params.byteLength + s0.m.byteLength + s0.v.byteLength;
      const spaced = new Checkpoints(log, Math.ceil((stateBytes * log.stepNumbers.length) / 3)); // a third of the states
      await layerMetrics(0, log, runSeries(log), spaced);
      expect(spaced.every, mode).toBe(3);
      for (let n = log.header.startStep; n <= log.lastStep; n++) {
        const want = stateAt(log, n);
        for (const c of [spaced, dense]) {
          const got = c.stateAt(n);
          expect(got.stateHash).toBe(want.stateHash);
          expect(Buffer.from(got.params.buffer, got.params.byteOffset, got.params.byteLength).equals(Buffer.from(want.params.buffer, want.params.byteOffset, want.params.byteLength))).toBe(true);
        }
      }
      // a kept state one ulp off: what is rebuilt from it does not match the log, and says so
      const wrong = new Checkpoints(log, 2 ** 30);
      const s2 = stateAt(log, 2);
      const params = Float32Array.from(s2.params as Float32Array);
      params[3] = Math.fround(params[3] * (1 + 2 ** -20));
      wrong.offer(2, { params, m: s2.m, v: s2.v, optimT: s2.optimT });
      expect(() => wrong.stateAt(2)).toThrow(/corrupt.*step 2: the state rebuilt from the one kept at step 2 hashes to/);
      log.close();
    }
  });

  it('histogram: counts cover every finite element between the minimum and the maximum', () => {
    const a = [3, -1, 2, NaN, 0.5, Infinity, 3];
    const h = histogram(a, 0, a.length, 4);
    expect(h).toEqual({ lo: -1, hi: 3, counts: [1, 1, 0, 3], nonFinite: 2 });
    expect(histogram([2, 2], 0, 2, 3)).toEqual({ lo: 2, hi: 2, counts: [2, 0, 0], nonFinite: 0 });
  });

  it('attention: layers and heads from 0 in the API (the page shows them from 1); out of range is a clear error naming the valid range, from 1', async () => {
    const a = await getJson<{ layer: number; head: number; words: string[]; attention: number[][] }>(v, '/api/runs/0/attention?step=9&layer=1&head=3&sentence=the%20scientists%20and%20they');
    expect([a.layer, a.head]).toEqual([1, 3]);
    expect(a.words).toHaveLength(4);
    for (const row of a.attention) expect(row.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
    const bad = await rawGet(v.url, '/api/runs/0/attention?step=9&layer=2&head=0&sentence=the%20cat');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/layers 1…2/);
  });
});

describe('weft view: heads by pattern on an induction run', () => {
  const induction = join(dir, 'induction.weft');
  const story = join(dir, 'story.weft');
  let v: Viewer;
  beforeAll(async () => {
    recordRun(induction, config({ model: { ...TINY, mlp: false, contextLength: 16 }, steps: 8, data: { kind: 'induction', batchSize: 4, trainFraction: 0.9 }, record: { mode: 'summary', keyframeEvery: 4 } }));
    recordRun(story, config({ model: TINY, steps: 2, data: { sentences: 200 } }));
    v = await startViewer({ paths: [induction, story] });
  });
  afterAll(async () => {
    await v?.close();
  });

  it('scores every head for induction and previous-token at the keyframes, as weft attention --track does; a story run has none', async () => {
    const p = await getJson<PatternsView>(v, '/api/runs/0/patterns');
    expect(p.problems).toEqual([]);
    expect(p.patterns.map((t) => t.pattern)).toEqual(['previous-token', 'induction']);
    const log = openLog(induction);
    for (const t of p.patterns) {
      expect(t.steps).toEqual([0, 4, 8]);
      expect(t.heads).toHaveLength(TINY.nLayers! * TINY.nHeads!);
      // the same numbers the command line prints (JSON carries a double exactly)
      expect(t).toEqual(JSON.parse(JSON.stringify(trackPattern(log, t.pattern, { every: 4 }))));
    }
    log.close();
    expect((await getJson<PatternsView>(v, '/api/runs/1/patterns')).patterns).toEqual([]);
  });
});

describe('weft view on the command line', () => {
  it('prints its URL on 127.0.0.1, answers, and stops cleanly on SIGINT (exit 0)', async () => {
    const child = spawn(process.execPath, [`${ROOT}/bin/weft.mjs`, 'view', full, '--port', '0'], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', () => {
        const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
        if (m) resolve(m[0]);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const r = await rawGet(url, '/api/runs');
    expect(JSON.parse(r.body)).toHaveLength(1);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
    expect(out).toMatch(/stopped/);
    await expect(rawGet(url, '/api/runs')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('bad input: no logs, a missing file, a bad port — one line, exit 2', () => {
    expect(weft(['view']).code).toBe(2);
    const missing = weft(['view', join(dir, 'nope.weft')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.weft: no such file/);
    expect(weft(['view', full, '--port', '70000']).stderr).toMatch(/ports go up to 65535/);
    expect(weft(['view', '--help']).stdout).toMatch(/127\.0\.0\.1/);
  });
});

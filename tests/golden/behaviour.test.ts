import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../src/kernels/reference.ts';
import type { Kernels } from '../../src/kernels/types.ts';
import { checkGolden } from '../../src/golden/check.ts';
import { formatReport } from '../../src/golden/compare.ts';
import { GoldenFileError } from '../../src/errors.ts';
import { readGolden, SNAPSHOT_DIR } from '../../src/golden/store.ts';
import { loadScenario, scenarioNames } from '../../src/cli/scenarios.ts';
import { PATIENCE_MS, ROOT, weft } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';

/** The reference kernels with one change: the first GELU output of each call moved by one ulp (float32). */
function oneUlpKernels(): Kernels {
  return {
    ...referenceKernels,
    activationForward(kind, out, inp, n) {
      referenceKernels.activationForward(kind, out, inp, n);
      const bits = new Uint32Array(out.buffer, out.byteOffset, 1);
      bits[0] += 1;
    },
  };
}

function scratchGoldens(): string {
  const dir = tempDir();
  cpSync(SNAPSHOT_DIR, dir, { recursive: true });
  return dir;
}

describe('golden checks', () => {
  it('a one-ulp change in one kernel fails the check, naming the first divergent step, field and layer', async () => {
    const s = await loadScenario('baseline');
    const c = checkGolden(s, { kernels: oneUlpKernels() });
    expect(c.status).toBe('mismatch');
    const r = c.report!;
    expect(r.first!.step).toBe(1);
    const layer = r.first!.layer ?? r.firstLayer!.layer;
    expect(layer).toMatch(/^(emb|layer \d+|head)$/);
    const text = formatReport(r, 'npx weft snapshot update baseline');
    expect(text).toMatch(/^golden baseline: run diverged at step 1, field \S+/);
    expect(text).toMatch(/first divergent layer: (emb|layer \d|head)|field \S+, (emb|layer \d|head)/);
    expect(text).toMatch(/accept it: npx weft snapshot update baseline/);
    expect(checkGolden(s).status).toBe('match'); // and the reference kernels still match
  });

  it('a declared tolerance absorbs a small change and the report says how close it came', async () => {
    const dir = scratchGoldens();
    const file = join(dir, 'baseline.golden.json');
    const g = JSON.parse(readFileSync(file, 'utf8'));
    g.steps[0].loss.hex = (BigInt(`0x${g.steps[0].loss.hex}`) + 2n).toString(16); // 2 ulps off
    g.tolerances = { loss: { ulp: 4 } };
    writeFileSync(file, JSON.stringify(g));
    const r = checkGolden(await loadScenario('baseline'), { dir }).report!;
    expect(r.pass).toBe(true);
    expect(r.tolerancesUsed).toEqual([{ step: 1, field: 'loss', layer: null, difference: '2 ulps (allowed 4)', usedFraction: 0.5 }]);
    expect(formatReport(r, '')).toMatch(/tolerance used: step 1 loss: 2 ulps \(allowed 4\), 50% of it/);
    g.tolerances = { loss: { ulp: 1 } };
    writeFileSync(file, JSON.stringify(g));
    expect(checkGolden(await loadScenario('baseline'), { dir }).report!.pass).toBe(false);
  });

  it('CI=true weft snapshot update exits 2 and writes nothing', () => {
    const dir = scratchGoldens();
    const before = readdirSync(dir).map((f) => [f, statSync(join(dir, f)).mtimeMs, readFileSync(join(dir, f), 'utf8')]);
    rmSync(join(dir, 'no-adam.golden.json'));
    const r = weft(['snapshot', 'update'], { CI: 'true', WEFT_SNAPSHOT_DIR: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refuses to run when CI is set/);
    expect(readdirSync(dir)).not.toContain('no-adam.golden.json');
    for (const [f, , text] of before) if (f !== 'no-adam.golden.json') expect(readFileSync(join(dir, f as string), 'utf8')).toBe(text);
  });

  it('CI=true vitest with a golden deleted fails and says which golden is missing and how to create it', () => {
    const dir = scratchGoldens();
    rmSync(join(dir, 'no-dropout.golden.json'));
    const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'tests/golden.test.ts', '-t', 'no-dropout'], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true', WEFT_SNAPSHOT_DIR: dir }, timeout: PATIENCE_MS,
    });
    expect(r.status).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/golden no-dropout is missing: .*no-dropout\.golden\.json/);
    expect(out).toMatch(/create it \(locally, never in CI\) with: npx weft snapshot update no-dropout/);
    expect(readdirSync(dir)).not.toContain('no-dropout.golden.json');
  });

  it('a golden edited into invalid JSON, or against its schema: a clear error naming file and field', () => {
    const dir = scratchGoldens();
    const file = join(dir, 'clipping.golden.json');
    writeFileSync(file, '{ "golden": 1, ');
    expect(() => readGolden(file)).toThrow(GoldenFileError);
    expect(() => readGolden(file)).toThrow(/clipping\.golden\.json: not valid JSON/);
    const r = weft(['snapshot', 'check', 'clipping'], { WEFT_SNAPSHOT_DIR: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);

    const g = JSON.parse(readFileSync(join(SNAPSHOT_DIR, 'clipping.golden.json'), 'utf8'));
    g.steps[1].loss.hex = 'not-hex';
    writeFileSync(file, JSON.stringify(g));
    expect(() => readGolden(file)).toThrow(/clipping\.golden\.json: field steps\.1\.loss\.hex: must match pattern/);
    delete g.steps[1].loss;
    g.steps[0].gradNorm.extra = 1;
    writeFileSync(file, JSON.stringify(g));
    expect(() => readGolden(file)).toThrow(/field steps\.0\.gradNorm\.extra: must NOT have additional properties/);
  });
});

describe('scenario expectations', () => {
  it('every scenario states what it shows, and its golden run checks it', async () => {
    for (const name of scenarioNames()) {
      const s = await loadScenario(name);
      expect(s.expectations.length, `${name} has no expectation`).toBeGreaterThan(0);
    }
  });

  it('an expectation fails when the scenario stops showing its lesson: clipping at 1 instead of 0.1', async () => {
    const clipping = await loadScenario('clipping');
    const loose = { ...clipping, config: { ...clipping.config, clip: { maxNorm: 1 } } };
    const c = checkGolden(loose);
    expect(c.expectations.map((e) => e.ok)).toEqual([false, false]);
    expect(checkGolden(clipping).expectations.every((e) => e.ok)).toBe(true);
  });
});

describe('NaN in goldens', () => {
  it('a NaN is written canonically and matches a NaN of any sign or payload, but never a number', async () => {
    const { goldenFloat } = await import('../../src/golden/format.ts');
    const f = new Float64Array(1);
    new BigUint64Array(f.buffer)[0] = 0xfff8000000000001n; // a negative NaN with a payload
    expect(goldenFloat(f[0]).hex).toBe('7ff8000000000000');
    const g = JSON.parse(readFileSync(join(SNAPSHOT_DIR, 'exploding-gradients.golden.json'), 'utf8'));
    const last = g.steps[g.steps.length - 1];
    expect(last.loss.value).toBe('NaN');
    const dir = scratchGoldens();
    const file = join(dir, 'exploding-gradients.golden.json');
    last.loss.hex = 'fff8000000000123';
    writeFileSync(file, JSON.stringify(g));
    expect(checkGolden(await loadScenario('exploding-gradients'), { dir }).status).toBe('match');
    last.loss = { hex: '3ff0000000000000', value: 1 };
    writeFileSync(file, JSON.stringify(g));
    const r = checkGolden(await loadScenario('exploding-gradients'), { dir }).report!;
    expect(r.pass).toBe(false);
    expect(r.first).toMatchObject({ step: last.step, field: 'loss' });
  });
});

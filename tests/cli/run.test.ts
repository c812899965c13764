import { describe, expect, it } from 'vitest';
import { TINY_SETS, weft } from '../helpers.ts';

/** One clear line on stderr, no stack trace. */
function expectOneLine(stderr: string, pattern: RegExp) {
  const lines = stderr.trim().split('\n');
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('weft run: bad input gives one clear line and exit code 2', () => {
  it('unknown scenario name', () => {
    const r = weft(['run', 'no-such-scenario']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /unknown scenario "no-such-scenario"; known: .*baseline/);
  });
  it('unknown --set key', () => {
    const r = weft(['run', 'baseline', '--set', 'model.colour=blue']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /model\.colour: unknown config key under model; known: nLayers/);
  });
  it('wrong type', () => {
    const r = weft(['run', 'baseline', '--set', 'model.dropout=lots']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /model\.dropout: must be number, got "lots"/);
  });
  it('out-of-range value: nHeads that does not divide dModel', () => {
    const r = weft(['run', 'baseline', '--set', 'model.nHeads=3']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /model\.nHeads: must divide model\.dModel \(64\), got 3/);
  });
  it('out-of-range value: dropout 1', () => {
    const r = weft(['run', 'baseline', '--set', 'model.dropout=1']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /model\.dropout: must be < 1/);
  });
  it('bad enum value lists the allowed ones', () => {
    const r = weft(['run', 'baseline', '--set', 'optim.kind=rmsprop']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /optim\.kind: must be one of "sgd", "momentum", "adam", "adamw", "lion", got "rmsprop"/);
  });
  it('unknown flag and bad --steps', () => {
    expect(weft(['run', 'baseline', '--stpes', '3']).code).toBe(2);
    const r = weft(['run', 'baseline', '--steps', 'ten']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /--steps: expected an integer, got "ten"/);
  });
  it('a mistyped scenario name gets the nearest one', () => {
    expect(weft(['run', 'no_residuals']).stderr).toMatch(/unknown scenario "no_residuals"; did you mean no-residuals\?; known: /);
    expect(weft(['run', 'Baseline']).stderr).toMatch(/did you mean baseline\?/);
    const far = weft(['run', 'transformer']);
    expect(far.code).toBe(2);
    expect(far.stderr).not.toMatch(/did you mean/);
  });
  it('a model preset by name, and a bad one', () => {
    const r = weft(['run', 'no-dropout', '--model', 'tiny', '--steps', '1', '--json', '--no-log']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).summary.layers).toHaveLength(4);
    expectOneLine(weft(['run', 'no-dropout', '--model', 'huge']).stderr, /--model: expected one of tiny, fabric, got "huge"/);
    // presets are looked up by their own names only, not the prototype's
    for (const name of ['constructor', 'toString', '__proto__']) {
      const r = weft(['run', 'no-dropout', '--model', name, '--steps', '1', '--no-log']);
      expect(r.code, name).toBe(2);
      expectOneLine(r.stderr, new RegExp(`--model: expected one of tiny, fabric, got "${name}"`));
    }
  });
  it('--threads is bounded: past the machine’s cores (and 8) it is refused, one line', () => {
    const r = weft(['run', 'no-dropout', '--threads', '999', '--steps', '1', '--no-log']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /--threads 999: at most \d+ \(this machine has \d+ cores; threads beyond them only take turns on them\)/);
  });
  it('unknown command', () => {
    const r = weft(['trian']);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr, /unknown command "trian"/);
  });
});

describe('weft run: usage', () => {
  it('--help on the command and on weft itself', () => {
    const r = weft(['run', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^weft run <scenario/);
    expect(weft(['--help']).stdout).toMatch(/commands:/);
    const v = weft(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^weft 0\.\d+\.\d+ \(log formats 1–2, node /);
  });
  it('runs a scenario with overrides and prints the summary', () => {
    const r = weft(['run', 'no-residuals', ...TINY_SETS, '--steps', '3', '--json', '--no-log']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.reason).toBe('completed');
    expect(out.summary.steps).toBe(3);
    expect(out.summary.layers.map((l: { name: string }) => l.name)).toEqual(['emb', 'layer 1', 'layer 2', 'head']);
  });
  it('a scenario file runs on its own with tsx', async () => {
    const { spawnSync } = await import('node:child_process');
    const { ROOT } = await import('../helpers.ts');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scenarios/no-dropout.ts', ...TINY_SETS, '--steps', '2', '--json', '--no-log'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).scenario).toBe('no-dropout');
  });
});

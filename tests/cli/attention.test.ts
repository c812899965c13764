import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY_SETS, weft } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';

describe('weft attention', () => {
  const log = join(tempDir(), 'run.weft');
  it('a head’s causal attention on a sentence: rows are distributions over earlier words', () => {
    expect(weft(['run', 'baseline', ...TINY_SETS, '--steps', '3', '--out', log, '--quiet']).code).toBe(0);
    const r = weft(['attention', log, '--layer', '2', '--head', '3', '--sentence', 'The professor finished her lecture', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ step: 3, layer: 1, head: 2, unknown: [], words: ['the', 'professor', 'finished', 'her', 'lecture'] });
    j.attention.forEach((row: number[], q: number) => {
      expect(row).toHaveLength(q + 1); // causal: a word sees itself and what came before
      expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
    });
    const text = weft(['attention', log, '--step', '0']);
    expect(text.stdout).toMatch(/^layer 2, head 4, after step 0/); // defaults clamp to the tiny model
    expect(text.stdout).toMatch(/\n 7 it +.* \d+ \S+ \d+%/);
    // full words, told apart; unknown words named; percentages on one scale
    const p = weft(['attention', log, '--sentence', 'the scientists said they published their zorblax findings']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/\n 1 the +/);
    expect(p.stdout).toMatch(/\n 4 they +/);
    expect(p.stdout).toMatch(/\n 6 their +/);
    expect(p.stdout).toMatch(/\n 7 zorblax \(<unk>\) +/);
    expect(p.stdout).toMatch(/not in the run's vocabulary, read as <unk>: .*zorblax$/m);
    expect(p.stdout).toMatch(/\n 1 the +█100 +1 the 100%/); // the first word can only attend to itself
  });
  it('bad input: a layer or head the model does not have', () => {
    const r = weft(['attention', log, '--layer', '9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--layer 9: the model has layers 1…2/);
    expect(weft(['attention', log, '--head', '5']).stderr).toMatch(/--head 5: the model has heads 1…4/);
    expect(weft(['attention', log, '--head', '0']).code).toBe(2);
  });
});

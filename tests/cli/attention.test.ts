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
    expect(j).toMatchObject({ step: 3, layer: 2, head: 3, words: ['the', 'professor', 'finished', 'her', 'lecture'] });
    j.attention.forEach((row: number[], q: number) => {
      expect(row).toHaveLength(q + 1); // causal: a word sees itself and what came before
      expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
    });
    const text = weft(['attention', log, '--step', '0']);
    expect(text.stdout).toMatch(/^layer 2, head 3, after step 0/); // defaults clamp to the tiny model
    expect(text.stdout).toMatch(/\nit +.* \S+ \d+%/);
  });
  it('bad input: a layer or head the model does not have', () => {
    const r = weft(['attention', log, '--layer', '9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--layer 9: the model has layers 1…2/);
  });
});

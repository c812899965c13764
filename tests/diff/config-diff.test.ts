import { describe, expect, it } from 'vitest';
import { configDifferences } from '../../src/diff/config-diff.ts';

describe('configDifferences', () => {
  it('lists (sentences, links) are compared by their elements, not by identity', () => {
    const a = { probe: { every: 25, sentences: ['The cat sat.', 'It ran.'], links: [{ from: 'it', to: 'cat' }] } };
    const b = structuredClone(a);
    expect(configDifferences(a, b)).toEqual([]);
    b.probe.sentences[1] = 'It sat.';
    expect(configDifferences(a, b)).toEqual([{ key: 'probe.sentences', a: a.probe.sentences, b: b.probe.sentences }]);
    const c = structuredClone(a);
    c.probe.links[0].to = 'dog';
    expect(configDifferences(a, c).map((d) => d.key)).toEqual(['probe.links']);
  });
  it('numbers by Object.is: −0 differs from 0, NaN equals NaN', () => {
    expect(configDifferences({ x: -0 }, { x: 0 })).toHaveLength(1);
    expect(configDifferences({ x: NaN }, { x: NaN })).toEqual([]);
  });
});

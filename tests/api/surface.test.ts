// The public API is a deliberate list: every name src/index.ts exports at run time is in the
// README's "The API" section, every name that section gives is exported by weft or
// weft/internals, and the internals stay out of the public entry. A name added to the entry without
// a line in the README, or an internal leaked into it, fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as publicApi from '../../src/index.ts';
import * as internals from '../../src/internals.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## The API'), readme.indexOf('\n## ', readme.indexOf('## The API') + 3));
const indexSource = readFileSync(new URL('../../src/index.ts', import.meta.url), 'utf8');

/** Every `name` in backticks in the section that looks like an identifier. */
function namesIn(text: string): string[] {
  return [...text.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((m) => m[1]);
}

/** Every name src/index.ts exports, types included (`type X` and `export type { … }`). */
function exportedNames(source: string): Set<string> {
  const names = new Set<string>();
  for (const m of source.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const part of m[1].split(',')) {
      const name = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop()!.trim();
      if (name) names.add(name);
    }
  }
  return names;
}

describe('the public API', () => {
  it('the README section exists and is not empty', () => {
    expect(section.startsWith('## The API')).toBe(true);
    expect(namesIn(section).length).toBeGreaterThan(40);
  });

  it('every name weft exports at run time is in the README', () => {
    const listed = new Set(namesIn(section));
    const missing = Object.keys(publicApi).filter((n) => !listed.has(n));
    expect(missing).toEqual([]);
  });

  it('every name the README gives is exported by weft or weft/internals (types included)', () => {
    const exported = exportedNames(indexSource);
    const words = new Set(['weft', 'weft/vitest', 'toMatchGolden']);
    const unknown = namesIn(section).filter((n) => !exported.has(n) && !(n in internals) && !words.has(n)
      && !/^(step|steps|header|state|readKeyframe|readProbes|checkIntegrity|frames)$/.test(n));
    expect(unknown).toEqual([]);
  });

  it('internals stay out of the public entry', () => {
    for (const name of ['packBits', 'unpackBits', 'keyedStream', 'KeyedStream', 'encodeFloats', 'decodeFloats', 'useKernels', 'useThreads', 'kernelsFor', 'GPT', 'buildParamTable', 'main', 'CONFIG_SCHEMA']) {
      expect(name in publicApi, name).toBe(false);
      expect(name in internals, name).toBe(true);
    }
  });

  it('the public entry is small: at most 60 names at run time', () => {
    expect(Object.keys(publicApi).length).toBeLessThanOrEqual(60);
  });
});

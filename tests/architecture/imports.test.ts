// The dependency direction of STYLE.md and DESIGN.md's data flow, checked on the sources: src/'s
// folders in the order data flows (math/ first: the elementary functions everything computes
// with), each importing only from itself and the folders before it — so no import cycles,
// between files or between folders.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.ts';

const ORDER = ['math', 'rng', 'kernels', 'layout', 'model', 'optim', 'data', 'config', 'log', 'engine', 'replay', 'diff', 'golden', 'report', 'view', 'sweep', 'cli', 'browser'];
/**
 * Beyond the order, what a folder must not import although it comes later: the log format knows
 * a config and a parameter table, never a model, an optimizer or a data set (DESIGN.md: "the
 * recorder knows nothing about attention"; a model owns its shape and the header stores it).
 */
const FORBIDDEN: Record<string, string[]> = { log: ['model', 'optim', 'data'] };
const SRC = join(ROOT, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|mjs)$/.test(f) ? [p] : [];
  });
}

/** Each source file's relative imports (value and type imports alike: a type is a dependency too). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files(SRC)) {
    const text = readFileSync(f, 'utf8');
    const specifiers = [
      ...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s+['"](\.[^'"]+)['"]/g), // import … from, export … from
      ...text.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g), // import('…'): dynamic, and in types
      ...text.matchAll(/new URL\(\s*['"](\.[^'"]+\.m?[jt]s)['"]/g), // a worker script
    ];
    const deps = specifiers.map((m) => resolve(dirname(f), m[1]));
    graph.set(f, deps);
  }
  return graph;
}

/** The imports that break the order or FORBIDDEN, as `from → to` (relative to src/). */
function violations(graph: Map<string, string[]>): string[] {
  const wrong: string[] = [];
  for (const [f, deps] of graph) {
    const from = folderOf(f);
    if (from === '(top)') continue;
    for (const d of deps) {
      const to = folderOf(d);
      // src/errors.ts, version.ts, package.ts and json.ts come before every folder; index.ts after them all
      const late = to === '(top)' ? !/\/(errors|version|package|json)\.ts$/.test(d) : ORDER.indexOf(to) > ORDER.indexOf(from);
      if (late || FORBIDDEN[from]?.includes(to)) wrong.push(`${relative(SRC, f)} → ${relative(SRC, d)}`);
    }
  }
  return wrong;
}

const folderOf = (f: string) => {
  const r = relative(SRC, f).split('/');
  return r.length > 1 ? r[0] : '(top)';
};

describe('import direction', () => {
  const graph = importGraph();

  it('every folder of src/ has a place in the order', () => {
    const folders = new Set([...graph.keys()].map(folderOf));
    folders.delete('(top)'); // index.ts and version.ts: the public API and the version
    expect([...folders].filter((f) => !ORDER.includes(f))).toEqual([]);
  });

  it('a folder imports only from itself and the folders before it, and never what FORBIDDEN names', () => {
    expect(violations(graph)).toEqual([]);
  });

  it('the check finds a log/ that imports a model, an engine or a later folder (so it can fail)', () => {
    const at = (p: string) => join(SRC, p);
    const fake = new Map([
      [at('log/reader.ts'), [at('model/gpt.ts'), at('engine/trainer.ts'), at('log/format.ts'), at('config/config.ts'), at('errors.ts')]],
      [at('model/gpt.ts'), [at('layout/table.ts'), at('log/format.ts')]],
    ]);
    expect(violations(fake)).toEqual(['log/reader.ts → model/gpt.ts', 'log/reader.ts → engine/trainer.ts', 'model/gpt.ts → log/format.ts']);
  });

  it('no file imports itself through others', () => {
    // Tarjan's strongly connected components: any with more than one file is a cycle
    let index = 0;
    const idx = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const on = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string) => {
      idx.set(v, index);
      low.set(v, index++);
      stack.push(v);
      on.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!graph.has(w)) continue;
        if (!idx.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
      if (low.get(v) === idx.get(v)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          on.delete(w);
          scc.push(relative(SRC, w));
        } while (w !== v);
        if (scc.length > 1) cycles.push(scc.sort());
      }
    };
    for (const v of graph.keys()) if (!idx.has(v)) visit(v);
    expect(cycles).toEqual([]);
  });
});

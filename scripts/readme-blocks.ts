// The README's generated blocks: `<!-- figures:NAME -->` … `<!-- /figures:NAME -->`, each
// written by a script from a fresh run (scripts/readme-figures.ts, scripts/bench.ts --readme).
import { readFileSync, writeFileSync } from 'node:fs';

/** Timing figures vary run to run; they are masked before comparing. */
const TIMING = /\d+(\.\d+)?(×| (steps\/s|s|ms|GFLOP\/s))(?=\b|\W|$)/g;

/**
 * Puts each block's text between its markers (keeping the indentation of the closing marker,
 * inside a list item, say) and returns the names of the blocks whose figures, timings aside,
 * changed. With `write` false the file is left as it is (a check). Blocks named in
 * `timingOnly` hold nothing but measurements: they are written, never compared.
 */
export function updateReadmeBlocks(path: string, blocks: Record<string, string>, write: boolean, timingOnly: string[] = []): string[] {
  let readme = readFileSync(path, 'utf8');
  const moved: string[] = [];
  for (const [name, text] of Object.entries(blocks)) {
    const re = new RegExp(`(<!-- figures:${name} -->\\n)([\\s\\S]*?)([ \\t]*<!-- /figures:${name} -->)`);
    const m = re.exec(readme);
    if (!m) throw new Error(`${path}: no block <!-- figures:${name} --> … <!-- /figures:${name} -->`);
    const indent = /^[ \t]*/.exec(m[3])![0];
    const body = `${text.split('\n').map((l) => (l ? indent + l : l)).join('\n')}\n`;
    if (!timingOnly.includes(name) && m[2].replace(TIMING, '#') !== body.replace(TIMING, '#')) moved.push(name);
    readme = readme.replace(re, (_, a: string, __: string, b: string) => `${a}${body}${b}`);
  }
  if (write) writeFileSync(path, readme);
  return moved;
}

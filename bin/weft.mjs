#!/usr/bin/env node
// Entry point. On Node it runs the compiled CLI (dist/) when dist/ is built and newer than every
// source, and registers tsx only to load a user's .ts scenario; otherwise (a clone being edited)
// it runs the TypeScript sources through tsx. Bun and Deno run the sources themselves (under
// Deno, tsx's hooks would turn ajv's JSON into JavaScript).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

// `weft inspect log --json | head`: a closed pipe ends the output, not the process with a trace
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

const at = (p) => fileURLToPath(new URL(`../${p}`, import.meta.url));

/** The newest modification time under a directory (0 when it does not exist). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const native = Boolean(process.versions.bun || globalThis.Deno);
const built = existsSync(at('dist/.built')) ? statSync(at('dist/.built')).mtimeMs : -1;
// an installed package (no tsconfig.json) always runs dist/; a clone, while dist/ is current
const checkout = existsSync(at('tsconfig.json'));
const compiled = !native && built >= 0 && (!checkout || built >= Math.max(newest(at('src')), newest(at('scenarios'))));

let main;
if (compiled) ({ main } = await import('../dist/src/cli/main.js'));
else {
  if (!native) {
    (await import('tsx/esm/api')).register();
    register('./sources.mjs', import.meta.url);
  }
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));

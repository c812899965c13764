// Bundles weft for a web page (src/browser/page.ts → one script, global `weft`): esbuild, which
// tsx already brings, with node:* mapped to src/browser/shims/node.ts. The page trains, records
// into memory and reads its log back (tests/browser/page.test.ts runs it in Chromium).
// Usage: npx tsx scripts/build-browser.ts [--out dist/weft.browser.js]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const NODE_MODULES = ['fs', 'crypto', 'zlib', 'os', 'path', 'url', 'worker_threads', 'module', 'child_process'];

/** The bundle's text. */
export async function browserBundle(): Promise<string> {
  const shim = `${root}src/browser/shims/node.ts`;
  const r = await build({
    entryPoints: [`${root}src/browser/page.ts`],
    bundle: true,
    format: 'iife',
    globalName: 'weft',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    alias: Object.fromEntries(NODE_MODULES.flatMap((m) => [[`node:${m}`, shim], [m, shim]])),
    // what the code reads of Node's process: no environment, no runtime versions, a quiet stderr
    banner: { js: 'globalThis.process ??= { env: {}, versions: {}, argv: [], stderr: { write() { return true; } }, stdout: { write() { return true; } } };' },
    define: { 'import.meta.url': '"file:///weft/page.js"' },
  });
  return r.outputFiles[0].text;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: `${root}dist/weft.browser.js` } } });
  const text = await browserBundle();
  mkdirSync(dirname(values.out!), { recursive: true });
  writeFileSync(values.out!, text);
  process.stdout.write(`${values.out}: ${text.length} bytes\n`);
}

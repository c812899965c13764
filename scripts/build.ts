// Compiles src/ and scenarios/ to JavaScript with declarations in dist/ (tsconfig.build.json),
// with the files the code loads beside itself: the WebAssembly modules, the kernel threads'
// worker and the generated validators, and the viewer's page bundled. `npm run build`; `prepare`
// runs it with --if-stale, so `npm ci` in a clone builds it, `npm pack` packs it, and a current
// dist/ is left as it is. dist/.built marks a complete build (bin/weft.mjs runs dist/ when it is newer than
// every source).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundlePage } from '../src/view/assets.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

/**
 * The newest modification time of a file, or of the files under a folder (0 when absent) — files
 * only, as bin/weft.mjs judges dist/ current: a folder's own time moves when a file is added and
 * removed again, and the two must agree, or a pack rebuilds dist/ under a bin that is running it.
 */
function newest(p: string): number {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(p).reduce((t, e) => Math.max(t, newest(join(p, e))), 0);
}

// --if-stale (npm's prepare): nothing to do when dist/ is newer than everything it is built from.
// `npx weft` in a clone installs the clone as a link, which runs prepare: a full build there
// took 17-33 s of the first start-up.
if (process.argv.includes('--if-stale')) {
  const built = existsSync(join(dist, '.built')) ? statSync(join(dist, '.built')).mtimeMs : -1;
  const inputs = ['src', 'scenarios', 'scripts/build.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
  if (built >= Math.max(...inputs.map((p) => newest(join(root, p))))) {
    process.stdout.write('dist/ is current\n');
    process.exit(0);
  }
}
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
for (const f of ['src/kernels/wasm/kernels.wasm', 'src/kernels/wasm/kernels-f32.wasm', 'src/log/rans.wasm', 'src/kernels/wasm-worker.mjs', 'src/engine/esm-hook.mjs', 'src/config/config.validate.mjs', 'src/config/config.validate.d.mts', 'src/log/records.validate.mjs', 'src/log/records.validate.d.mts']) {
  mkdirSync(dirname(join(dist, f)), { recursive: true });
  copyFileSync(join(root, f), join(dist, f));
}
// the viewer's page, bundled once here so an installed weft serves it without esbuild or uPlot
const page = await bundlePage();
writeFileSync(join(dist, 'src/view/client.js'), page.js);
writeFileSync(join(dist, 'src/view/client.css'), page.css);
writeFileSync(join(dist, '.built'), `${new Date(0).toISOString()}\n`); // content fixed: only its mtime says when
process.stdout.write('built dist/\n');

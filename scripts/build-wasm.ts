// Builds src/kernels/wasm/kernels.wasm from kernels.wat with wabt (a devDependency; nothing is
// downloaded). The .wasm is committed, so running weft needs no build step; a test rebuilds it
// and requires the same bytes.
// Usage: npx tsx scripts/build-wasm.ts [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const WAT = fileURLToPath(new URL('../src/kernels/wasm/kernels.wat', import.meta.url));
const WASM = WAT.replace(/\.wat$/, '.wasm');

/** The module's bytes: SIMD128, shared memory (for threads), bulk memory; no names section. */
export async function buildKernelsWasm(): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const features = { simd: true, threads: true, bulk_memory: true, relaxed_simd: false };
  const mod = wabt.parseWat('kernels.wat', readFileSync(WAT, 'utf8'), features);
  try {
    (mod.validate as (this: typeof mod, f: typeof features) => void).call(mod, features); // the typings omit its argument
    return mod.toBinary({ log: false, write_debug_names: false }).buffer;
  } finally {
    mod.destroy();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bytes = await buildKernelsWasm();
  if (process.argv.includes('--check')) {
    const same = Buffer.from(bytes).equals(readFileSync(WASM));
    process.stderr.write(same ? `${WASM}: up to date\n` : `${WASM}: differs from a rebuild of kernels.wat; run npx tsx scripts/build-wasm.ts\n`);
    process.exit(same ? 0 : 1);
  }
  writeFileSync(WASM, bytes);
  process.stderr.write(`${WASM}: ${bytes.length} bytes\n`);
}

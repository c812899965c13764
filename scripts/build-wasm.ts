// Builds src/kernels/wasm/kernels.wasm from kernels.wat with wabt (a devDependency; nothing is
// downloaded). The .wasm is committed, so running weft needs no build step; a test rebuilds it
// and requires the same bytes.
// Usage: npx tsx scripts/build-wasm.ts [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const WAT = fileURLToPath(new URL('../src/kernels/wasm/kernels.wat', import.meta.url));
const WASM = WAT.replace(/\.wat$/, '.wasm');

/** A double as an exact hexadecimal float literal (normal numbers; ±0). */
export function hexFloat(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite constant: ${x}`);
  if (x === 0) return Object.is(x, -0) ? '-0x0p+0' : '0x0p+0';
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, x);
  const hi = b.getUint32(0);
  const exp = (hi >>> 20) & 0x7ff;
  if (exp === 0) throw new RangeError(`subnormal constant ${x} is not supported`);
  const mant = ((BigInt(hi & 0xfffff) << 32n) | BigInt(b.getUint32(4))).toString(16).padStart(13, '0');
  return `${hi >>> 31 ? '-' : ''}0x1.${mant}p${exp - 1023 >= 0 ? '+' : ''}${exp - 1023}`;
}

/**
 * The module's text with each `${expr}` replaced by the double JavaScript computes for it (an
 * arithmetic expression on numbers, Math.sqrt and Math.PI), as an exact hexadecimal float.
 */
export function expandConstants(wat: string): string {
  return wat.replace(/\$\{([^}]*)\}/g, (_, expr: string) => {
    if (!/^[\d\s.eE+\-*/()]*$/.test(expr.replace(/Math\.(sqrt|PI)/g, ''))) throw new Error(`kernels.wat: constant \${${expr}} is not plain arithmetic`);
    return hexFloat(Number(new Function(`return (${expr});`)()));
  });
}

/** The module's bytes: SIMD128, shared memory (for threads), bulk memory; no names section. */
export async function buildKernelsWasm(): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const features = { simd: true, threads: true, bulk_memory: true, relaxed_simd: false };
  const mod = wabt.parseWat('kernels.wat', expandConstants(readFileSync(WAT, 'utf8')), features);
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

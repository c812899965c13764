// Builds weft's WebAssembly modules from their .wat sources with wabt (a devDependency; nothing
// is downloaded): the kernels of both numeric modes (src/kernels/wasm/kernels.wat, f64acc, and
// kernels-f32.wat, f32acc) and the rANS encoder
// (src/log/rans.wat). The .wasm files are committed, so running weft needs no build step; a test
// rebuilds them and requires the same bytes.
// Usage: npx tsx scripts/build-wasm.ts [--check]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

/** The modules' sources; each builds to the .wasm beside it. */
export const WAT_SOURCES = ['../src/kernels/wasm/kernels.wat', '../src/kernels/wasm/kernels-f32.wat', '../src/log/rans.wat'].map((p) => fileURLToPath(new URL(p, import.meta.url)));

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
 * arithmetic expression on numbers, Math.sqrt and Math.PI), as an exact hexadecimal float;
 * `$f32{expr}` by that double rounded to float32, and `$f32x4{expr}` by a v128.const of four.
 */
export function expandConstants(wat: string): string {
  const value = (expr: string, form: string) => {
    if (!/^[\d\s.eE+\-*/()]*$/.test(expr.replace(/Math\.(sqrt|PI)/g, ''))) throw new Error(`constant ${form}{${expr}} is not plain arithmetic`);
    return Number(new Function(`return (${expr});`)());
  };
  // float32 constants: $f32{expr} is the expression's value rounded to float32 (Math.fround, as
  // the TypeScript kernels round it), $f32x4{expr} a v128.const of four of them
  return wat
    .replace(/\$f32x4\{([^}]*)\}/g, (_, expr: string) => `v128.const f32x4 ${Array(4).fill(hexFloat(Math.fround(value(expr, '$f32x4')))).join(' ')}`)
    .replace(/\$f32\{([^}]*)\}/g, (_, expr: string) => hexFloat(Math.fround(value(expr, '$f32'))))
    .replace(/\$\{([^}]*)\}/g, (_, expr: string) => hexFloat(value(expr, '$')));
}

/** A module's bytes: SIMD128, shared memory (for threads), bulk memory; no names section. */
export async function buildWasm(wat: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const features = { simd: true, threads: true, bulk_memory: true, relaxed_simd: false };
  const mod = wabt.parseWat(basename(wat), expandConstants(readFileSync(wat, 'utf8')), features);
  try {
    (mod.validate as (this: typeof mod, f: typeof features) => void).call(mod, features); // the typings omit its argument
    return mod.toBinary({ log: false, write_debug_names: false }).buffer;
  } finally {
    mod.destroy();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let stale = 0;
  for (const wat of WAT_SOURCES) {
    const wasm = wat.replace(/\.wat$/, '.wasm');
    const bytes = await buildWasm(wat);
    if (process.argv.includes('--check')) {
      const same = existsSync(wasm) && Buffer.from(bytes).equals(readFileSync(wasm));
      if (!same) stale++;
      process.stderr.write(same ? `${wasm}: up to date\n` : `${wasm}: differs from a rebuild of ${basename(wat)}; run npx tsx scripts/build-wasm.ts\n`);
    } else {
      writeFileSync(wasm, bytes);
      process.stderr.write(`${wasm}: ${bytes.length} bytes\n`);
    }
  }
  process.exit(stale ? 1 : 0);
}

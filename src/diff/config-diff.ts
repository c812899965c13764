/** A config difference, by dotted key (the keys `--set` takes). */
export interface ConfigDifference {
  key: string;
  a: unknown;
  b: unknown;
}

function flatten(o: unknown, prefix: string, out: Map<string, unknown>): void {
  if (o && typeof o === 'object' && !Array.isArray(o)) {
    for (const k of Object.keys(o as object).sort()) flatten((o as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, o);
}

/** Equal as config values: primitives by Object.is (so −0 ≠ 0 and NaN = NaN), arrays and maps element by element. */
function sameValue(x: unknown, y: unknown): boolean {
  if (Object.is(x, y)) return true;
  if (Array.isArray(x) || Array.isArray(y)) return Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((e, i) => sameValue(e, y[i]));
  if (x && y && typeof x === 'object' && typeof y === 'object') {
    const kx = Object.keys(x).sort();
    const ky = Object.keys(y).sort();
    return kx.length === ky.length && kx.every((k, i) => k === ky[i] && sameValue((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]));
  }
  return false;
}

export function configDifferences(a: unknown, b: unknown): ConfigDifference[] {
  const fa = new Map<string, unknown>();
  const fb = new Map<string, unknown>();
  flatten(a, '', fa);
  flatten(b, '', fb);
  const keys = [...new Set([...fa.keys(), ...fb.keys()])].sort();
  return keys.filter((k) => !sameValue(fa.get(k), fb.get(k))).map((k) => ({ key: k, a: fa.get(k) ?? null, b: fb.get(k) ?? null }));
}

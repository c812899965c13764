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

export function configDifferences(a: unknown, b: unknown): ConfigDifference[] {
  const fa = new Map<string, unknown>();
  const fb = new Map<string, unknown>();
  flatten(a, '', fa);
  flatten(b, '', fb);
  const keys = [...new Set([...fa.keys(), ...fb.keys()])].sort();
  return keys.filter((k) => !Object.is(fa.get(k), fb.get(k))).map((k) => ({ key: k, a: fa.get(k) ?? null, b: fb.get(k) ?? null }));
}

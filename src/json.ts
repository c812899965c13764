/** JSON helpers every output shares (a top-level utility, importable from any folder). */
/** JSON has no NaN or ±Inf: they are written as the strings "NaN", "Infinity", "-Infinity". */
export function jsonNumber(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

export function jsonNumbers(a: ArrayLike<number>): (number | string)[] {
  return Array.from(a, jsonNumber);
}

/** A flat (B·T) token array as B rows of T. */
export function rows(a: ArrayLike<number>, T: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.length; i += T) out.push(Array.from({ length: Math.min(T, a.length - i) }, (_, j) => a[i + j]));
  return out;
}

/**
 * The numeric modes a config chooses by its `numeric` key, and the name each one's log header
 * records (`numericMode`): `f64acc`, float32 storage with float64 accumulation (the first
 * mode, whose name predates the key), and `f32acc`, float32 arithmetic throughout (DESIGN rule 7).
 * The registry (registry.ts) holds each mode's kernel sets under the recorded name.
 */
export const NUMERIC_MODES = { f64acc: 'reference-f64acc-v1', f32acc: 'reference-f32acc-v1' } as const;
export type Numeric = keyof typeof NUMERIC_MODES;
export const NUMERIC_NAMES = Object.keys(NUMERIC_MODES) as Numeric[];

/** The numeric mode a log header records for a config's `numeric`. */
export function numericModeOf(numeric: Numeric): string {
  return NUMERIC_MODES[numeric];
}

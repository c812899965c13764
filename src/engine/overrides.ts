import { UsageError } from '../errors.ts';
import type { ModelConfig } from '../model/params.ts';
import { applySets, FABRIC, TINY, validateConfig, type WeftConfig } from '../config/config.ts';
import { FILE_DATA_KINDS } from './file-scenario.ts';

/** An integer flag's value (undefined when absent); a UsageError naming the flag otherwise. */
export function intFlag(v: unknown, name: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^-?\d+$/.test(s)) throw new UsageError(`${name}: expected an integer, got ${JSON.stringify(s)}`);
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${name}: must be an integer ≥ ${min}, got ${s}`);
  return n;
}

/** Model sizes a person can name instead of five `--set model.…` flags (DESIGN.md). */
export const MODEL_PRESETS: Record<string, Partial<ModelConfig>> = { tiny: TINY, fabric: FABRIC };

/** The scenario's config with the command line's overrides applied and validated. */
export function configFromFlags(base: WeftConfig, values: Record<string, unknown>): WeftConfig {
  const preset = values.model === undefined ? null : Object.hasOwn(MODEL_PRESETS, String(values.model)) ? MODEL_PRESETS[String(values.model)] : undefined;
  if (preset === undefined) throw new UsageError(`--model: expected one of ${Object.keys(MODEL_PRESETS).join(', ')}, got ${JSON.stringify(values.model)}`);
  const userSets = (values.set as string[] | undefined) ?? [];
  // a preset is a shape, not a vocabulary: on a user's file (data.kind text or tokens) V stays the
  // file's (tiny's V 64 cut a text's characters to unnamed ids, and a BPE's 256 bytes to a refusal)
  const onFile = FILE_DATA_KINDS.includes(base.data.kind) || userSets.some((x) => FILE_DATA_KINDS.some((k) => x === `data.kind=${k}`));
  const presetSets = preset ? Object.entries(preset).filter(([k]) => !(onFile && k === 'vocabSize')).map(([k, v]) => `model.${k}=${v}`) : [];
  const sets = [...presetSets, ...userSets];
  const steps = intFlag(values.steps, '--steps', 0);
  const seed = intFlag(values.seed, '--seed', 0);
  if (values.record !== undefined) sets.push(`record.mode=${values.record}`);
  if (steps !== undefined) sets.push(`steps=${steps}`);
  if (seed !== undefined) sets.push(`seed=${seed}`);
  return sets.length ? applySets(validateConfig(structuredClone(base)), sets) : base;
}

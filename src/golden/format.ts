import { createHash } from 'node:crypto';
import type { WeftConfig } from '../config/config.ts';
import { canonicalConfig } from '../config/evolution.ts';

/** A float in a golden: its exact bits (hex of the IEEE 754 double) and a decimal for people. */
export interface GoldenFloat {
  hex: string;
  value: number | string;
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

export function goldenFloat(x: number): GoldenFloat {
  // every NaN is written as the canonical quiet NaN: its sign and payload vary by engine
  if (Number.isNaN(x)) return { hex: '7ff8000000000000', value: 'NaN' };
  f64[0] = x;
  // the shortest decimal that reads back exactly; NaN/Inf as strings (JSON has neither)
  return { hex: u64[0].toString(16).padStart(16, '0'), value: Number.isFinite(x) ? x : String(x) };
}

export function floatOf(g: GoldenFloat): number {
  u64[0] = BigInt(`0x${g.hex}`);
  return f64[0];
}

/** Canonical JSON (sorted keys) for hashing configs. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

export function configHash(config: WeftConfig): string {
  // of the config as stored: a key added since, at its "as before", moves no hash
  return createHash('sha256').update(canonicalJson(canonicalConfig(config))).digest('hex').slice(0, 16);
}

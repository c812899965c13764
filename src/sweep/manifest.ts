import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { UsageError } from '../errors.ts';
import { WEFT_VERSION } from '../version.ts';
import type { SweepPlan } from './plan.ts';

export type RunStatus = 'pending' | 'complete' | 'diverged' | 'incomplete' | 'failed';

/** One run in a sweep's manifest: what it is, and what its log says happened. */
export interface ManifestRun {
  id: string;
  settings: Record<string, number | string | boolean>;
  /** the `weft run` that makes the same log by hand (add --out FILE) */
  command: string;
  /** relative to the sweep's folder */
  log: string;
  /** complete: ran every step; diverged: stopped on NaN/Inf (a result, not a failure); incomplete: interrupted or killed (resumed by running the sweep again); failed: see `error`; pending: not started */
  status: RunStatus;
  steps: number | null;
  /** the last step's loss (non-finite values as strings) */
  finalLoss: number | string | null;
  anomaly: { step: number; stage: string; tensor: string | null; index: number | null } | null;
  /** the log's state hash after its last step */
  stateHash: string | null;
  error: string | null;
}

/** DIR/sweep.json: the sweep's definition and its runs, in plan order. Nothing in it depends on time, order of completion or machine. */
export interface SweepManifest {
  format: 1;
  weft: string;
  sweepId: string;
  scenario: string;
  seeds: number[];
  grid: { key: string; values: string[] }[];
  sets: string[];
  model: string | null;
  steps: number | null;
  record: string | null;
  /** this manifest's shard (null: the whole sweep, run at once or merged) */
  shard: { index: number; count: number } | null;
  runs: ManifestRun[];
}

const settingsSchema = { type: 'object', additionalProperties: { type: ['number', 'string', 'boolean'] } };
const nullable = (s: object) => ({ anyOf: [{ type: 'null' }, s] });

/** The manifest's JSON Schema (docs/sweep.schema.json is this, written out; a test keeps them equal). */
export const SWEEP_MANIFEST_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://weft.dev/schemas/sweep.schema.json',
  title: 'weft sweep manifest (DIR/sweep.json)',
  type: 'object',
  additionalProperties: false,
  required: ['format', 'weft', 'sweepId', 'scenario', 'seeds', 'grid', 'sets', 'model', 'steps', 'record', 'shard', 'runs'],
  properties: {
    format: { const: 1 },
    weft: { type: 'string' },
    sweepId: { type: 'string', pattern: '^[0-9a-f]{16}$' },
    scenario: { type: 'string', minLength: 1 },
    seeds: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 0 } },
    grid: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['key', 'values'], properties: { key: { type: 'string', minLength: 1 }, values: { type: 'array', minItems: 1, items: { type: 'string' } } } } },
    sets: { type: 'array', items: { type: 'string' } },
    model: { type: ['string', 'null'] },
    steps: { type: ['integer', 'null'], minimum: 0 },
    record: { type: ['string', 'null'] },
    shard: nullable({ type: 'object', additionalProperties: false, required: ['index', 'count'], properties: { index: { type: 'integer', minimum: 1 }, count: { type: 'integer', minimum: 1 } } }),
    runs: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'settings', 'command', 'log', 'status', 'steps', 'finalLoss', 'anomaly', 'stateHash', 'error'],
        properties: {
          id: { type: 'string', minLength: 1 },
          settings: settingsSchema,
          command: { type: 'string' },
          log: { type: 'string', pattern: '^runs/[^/]+\\.weft$' },
          status: { enum: ['pending', 'complete', 'diverged', 'incomplete', 'failed'] },
          steps: { type: ['integer', 'null'], minimum: 0 },
          finalLoss: { type: ['number', 'string', 'null'] },
          anomaly: nullable({ type: 'object', additionalProperties: false, required: ['step', 'stage', 'tensor', 'index'], properties: { step: { type: 'integer' }, stage: { type: 'string' }, tensor: { type: ['string', 'null'] }, index: { type: ['integer', 'null'] } } }),
          stateHash: { type: ['string', 'null'], pattern: '^[0-9a-f]{32}$' },
          error: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;

let compiled: ValidateFunction | null = null;
const validate = (json: unknown): boolean => (compiled ??= new Ajv({ strict: false, allErrors: false }).compile(SWEEP_MANIFEST_SCHEMA))(json);

export const MANIFEST_FILE = 'sweep.json';

/** The manifest of a plan's runs (every one pending), for shard `shard`. */
export function emptyManifest(plan: SweepPlan, runs: SweepPlan['runs'], shard: SweepManifest['shard']): SweepManifest {
  const s = plan.spec;
  return {
    format: 1, weft: WEFT_VERSION, sweepId: plan.sweepId, scenario: s.scenario, seeds: plan.seeds,
    grid: plan.grid, sets: s.sets, model: s.model ?? null, steps: s.steps ?? null, record: s.record ?? null, shard,
    runs: runs.map((r) => ({ id: r.id, settings: r.settings, command: `weft ${r.args.join(' ')}`, log: r.log, status: 'pending', steps: null, finalLoss: null, anomaly: null, stateHash: null, error: null })),
  };
}

/** Reads and validates DIR/sweep.json; null when there is none. A bad one names the file and field (exit 2). */
export function readManifest(dir: string): SweepManifest | null {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (!validate(json)) {
    const e = compiled!.errors![0];
    const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(top level)';
    throw new UsageError(`${path}: field ${field}: ${e.message} (schema: docs/sweep.schema.json)`);
  }
  return json as SweepManifest;
}

/** Writes DIR/sweep.json whole or not at all (a temporary file renamed over it). */
export function writeManifest(dir: string, m: SweepManifest): void {
  if (!validate(m)) throw new Error(`weft: a manifest that fails its own schema: ${JSON.stringify(compiled!.errors![0])}`);
  const path = join(dir, MANIFEST_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(m, null, 2)}\n`);
  renameSync(tmp, path);
}

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeOutput } from '../log/output.ts';
import { dirname, join } from 'node:path';
import { isBuiltIn, projectRoot } from '../engine/scenarios.ts';
import type { Scenario } from '../engine/scenario.ts';
import { Ajv, type ValidateFunction } from 'ajv';
import { CONFIG_SCHEMA } from '../config/config.ts';
import { canonicalConfig, completeConfig, storedConfigSchema } from '../config/evolution.ts';
import type { GoldenFile } from './capture.ts';
import { GoldenFileError } from '../errors.ts';
import { PACKAGE_ROOT } from '../package.ts';

/** The built-in scenarios' goldens, shipped with weft. */
export const SNAPSHOT_DIR = join(PACKAGE_ROOT, 'snapshots');

/**
 * Where a scenario's golden lives: `snapshots/` beside the package.json of the project its file
 * belongs to (weft's own for the built-ins; the user's for theirs, never inside node_modules);
 * `dir` (`--snapshots DIR`) or WEFT_SNAPSHOT_DIR choose another folder.
 */
export function goldenFileOf(s: Pick<Scenario, 'name' | 'file'>, dir: string | undefined = process.env.WEFT_SNAPSHOT_DIR || undefined): string {
  const folder = dir ?? (s.file && isBuiltIn(s.file) ? SNAPSHOT_DIR : join(projectRoot(s.file ? dirname(s.file) : process.cwd()) ?? process.cwd(), 'snapshots'));
  return join(folder, `${s.name}.golden.json`);
}


const gf = { type: 'object', required: ['hex', 'value'], additionalProperties: false, properties: { hex: { type: 'string', pattern: '^[0-9a-f]{16}$' }, value: { anyOf: [{ type: 'number' }, { enum: ['NaN', 'Infinity', '-Infinity'] }] } } };
const byName = (v: object) => ({ type: 'object', additionalProperties: v });
const hashes = { anyOf: [{ type: 'null' }, byName({ type: 'string', pattern: '^[0-9a-f]{32}$' })] };
const tolerance = { type: 'object', additionalProperties: false, minProperties: 1, properties: { abs: { type: 'number', minimum: 0 }, rel: { type: 'number', minimum: 0 }, ulp: { type: 'integer', minimum: 0 }, ignore: { type: 'boolean' } } };

const splitFigures = { type: 'object', required: ['examples', 'counted', 'loss', 'accuracy'], additionalProperties: false, properties: { examples: { type: 'integer' }, counted: { type: 'integer' }, loss: gf, accuracy: { anyOf: [{ type: 'null' }, gf] } } };

/** JSON Schema of `snapshots/<scenario>.golden.json`. */
export const GOLDEN_SCHEMA = {
  type: 'object',
  required: ['golden', 'weft', 'logFormat', 'numericMode', 'scenario', 'configHash', 'config', 'steps', 'anomaly'],
  additionalProperties: false,
  properties: {
    golden: { const: 1 },
    weft: { type: 'string' },
    logFormat: { type: 'integer' },
    numericMode: { type: 'string' },
    scenario: { type: 'string' },
    configHash: { type: 'string', pattern: '^[0-9a-f]{16}$' },
    config: storedConfigSchema(CONFIG_SCHEMA),
    tolerances: {
      type: 'object', additionalProperties: false,
      properties: Object.fromEntries(['loss', 'lr', 'clipFactor', 'gradNorm.global', 'gradNorm.perLayer', 'paramNorm', 'params', 'm', 'v', 'masks'].map((k) => [k, tolerance])),
    },
    steps: {
      type: 'array', minItems: 1,
      items: {
        type: 'object',
        required: ['step', 'loss', 'lr', 'clipFactor', 'gradNorm', 'paramNorm', 'params', 'm', 'v', 'masks'],
        additionalProperties: false,
        properties: {
          step: { type: 'integer', minimum: 1 },
          loss: gf, lr: gf, clipFactor: gf,
          gradNorm: { type: 'object', required: ['global', 'perLayer'], additionalProperties: false, properties: { global: gf, perLayer: byName(gf) } },
          paramNorm: byName(gf),
          params: hashes, m: hashes, v: hashes,
          masks: { anyOf: [{ type: 'null' }, { type: 'object', required: ['hash', 'kept', 'total'], additionalProperties: false, properties: { hash: { type: 'string' }, kept: { type: 'integer' }, total: { type: 'integer' } } }] },
        },
      },
    },
    anomaly: { anyOf: [{ type: 'null' }, { type: 'object', required: ['step', 'stage', 'tensor', 'index'], additionalProperties: false, properties: { step: { type: 'integer' }, stage: { enum: ['loss', 'grad', 'param'] }, tensor: { type: ['string', 'null'] }, index: { type: ['integer', 'null'] } } }] },
    evaluations: { type: 'array', items: { type: 'object', required: ['step', 'heldOut', 'train'], additionalProperties: false, properties: { step: { type: 'integer', minimum: 0 }, heldOut: splitFigures, train: splitFigures } } },
  },
};

let compiled: ValidateFunction | null = null;
/** The golden schema's validator, compiled when first needed. */
const validate = (json: unknown): boolean => (compiled ??= new Ajv({ strict: false, allErrors: false }).compile(GOLDEN_SCHEMA))(json);

/** Reads and validates a golden; null when the file does not exist. */
export function readGolden(path: string): GoldenFile | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new GoldenFileError(path, `not valid JSON (${(e as Error).message}); fix it or regenerate it with weft snapshot update`);
  }
  if (!validate(json)) {
    const e = compiled!.errors![0];
    const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(top level)';
    const extra = (e.params as { additionalProperty?: string; missingProperty?: string }).additionalProperty ?? (e.params as { missingProperty?: string }).missingProperty;
    throw new GoldenFileError(path, `field ${field}${extra ? `.${extra}` : ''}: ${e.message}`);
  }
  const g = json as unknown as GoldenFile;
  // a golden written before a config key existed means that key's "as before"
  return { ...g, config: completeConfig(g.config) };
}

/** Writes a golden as readable JSON, keeping the tolerances a person declared in the old one. */
export function writeGolden(path: string, g: GoldenFile, previous: GoldenFile | null): void {
  mkdirSync(join(path, '..'), { recursive: true });
  // its config as stored: keys added since at their "as before" left out (config/evolution.ts)
  const stored = { ...g, config: canonicalConfig(g.config) };
  const out = previous?.tolerances ? { ...stored, tolerances: previous.tolerances } : stored;
  // one float per line, { "hex": …, "value": … }, so a review reads the numbers, not the braces
  const text = JSON.stringify(out, null, 2).replace(/\{\n\s*"hex": ("[0-9a-f]{16}"),\n\s*"value": ([^\n]+)\n\s*\}/g, '{ "hex": $1, "value": $2 }');
  // whole or not at all (a killed update leaves the old golden); an update replaces it by design
  writeOutput(path, `${text}\n`, { force: true, inputs: [], flag: 'golden' });
}

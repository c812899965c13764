import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configValidatorSource, recordValidatorsSource, RECORDS_VALIDATOR_FILE, SWEEP_SCHEMA_FILE, sweepSchemaText, VALIDATOR_FILE } from '../../scripts/build-validators.ts';
import { DEFAULT_CONFIG, mergeConfig, validateConfig } from '../../src/config/config.ts';
import { ConfigError } from '../../src/errors.ts';

describe('the validators generated ahead of time', () => {
  it('are the ones CONFIG_SCHEMA and RECORD_SCHEMAS compile to, and the published sweep schema is SWEEP_MANIFEST_SCHEMA (run scripts/build-validators.ts after changing a schema)', () => {
    expect(readFileSync(VALIDATOR_FILE, 'utf8') === configValidatorSource(), `${VALIDATOR_FILE} is out of date: npx tsx scripts/build-validators.ts`).toBe(true);
    expect(readFileSync(RECORDS_VALIDATOR_FILE, 'utf8') === recordValidatorsSource(), `${RECORDS_VALIDATOR_FILE} is out of date: npx tsx scripts/build-validators.ts`).toBe(true);
    expect(readFileSync(SWEEP_SCHEMA_FILE, 'utf8') === sweepSchemaText(), `${SWEEP_SCHEMA_FILE} is out of date: npx tsx scripts/build-validators.ts`).toBe(true);
  });

  it('accepts a good config and names the first bad field of a wrong one', () => {
    expect(validateConfig(mergeConfig(DEFAULT_CONFIG, { optim: { kind: 'lion' } })).optim.kind).toBe('lion');
    expect(() => validateConfig(mergeConfig(DEFAULT_CONFIG, { model: { dropout: 1.5 } }))).toThrow(ConfigError);
    expect(() => validateConfig({ ...DEFAULT_CONFIG, modle: {} })).toThrow(/modle: unknown key; known keys here: seed, steps/);
  });
});

import { describe, expect, it } from 'vitest';
import { applySets, DEFAULT_CONFIG, TINY } from '../../src/config/config.ts';
import { canonicalConfig } from '../../src/config/evolution.ts';
import { ConfigError } from '../../src/errors.ts';
import { architectureOf, architectures } from '../../src/model/model.ts';
import type { ModelConfig } from '../../src/model/params.ts';
import { weft } from '../helpers.ts';

const tiny: ModelConfig = { ...DEFAULT_CONFIG.model, ...TINY };
const names = (cfg: Partial<ModelConfig>) => architectureOf(cfg.arch ?? 'gpt').table({ ...tiny, ...cfg }).tensors.map((t) => t.name);

describe('architectures and gpt’s toggles', () => {
  it('registers gpt and gpt-rms', () => {
    expect(architectures()).toEqual(['gpt', 'gpt-rms']);
  });

  it('the table omits the tensors that are off, and keeps the order of the rest', () => {
    const all = names({});
    expect(all).toHaveLength(30);
    expect(names({ bias: false })).toEqual(all.filter((n) => !n.endsWith('.bias')));
    expect(names({ mlp: false })).toEqual(all.filter((n) => !/\.(mlp\.|ln2\.)/.test(n)));
    expect(names({ posEmb: false })).toEqual(all.filter((n) => n !== 'pos_emb.weight'));
    expect(names({ tieEmbeddings: true })).toEqual(all.filter((n) => n !== 'head.weight'));
    expect(names({ arch: 'gpt-rms', bias: false })).toEqual(names({ bias: false }));
    expect(architectureOf('gpt').dropoutSites({ ...tiny, mlp: false })).toEqual(['emb', 'blocks.0.attn', 'blocks.1.attn']);
    expect(architectureOf('gpt').dropoutSites(tiny)).toEqual(['emb', 'blocks.0.attn', 'blocks.0.mlp', 'blocks.1.attn', 'blocks.1.mlp']);
  });

  it('the toggles at their as-before values leave a stored config as it was', () => {
    const explicit = applySets(DEFAULT_CONFIG, ['model.bias=true', 'model.mlp=true', 'model.posEmb=true', 'model.tieEmbeddings=false']);
    const stored = canonicalConfig(explicit).model as Record<string, unknown>;
    for (const k of ['arch', 'bias', 'mlp', 'posEmb', 'tieEmbeddings']) expect(Object.hasOwn(stored, k), k).toBe(false);
    expect((canonicalConfig(applySets(DEFAULT_CONFIG, ['model.mlp=false'])).model as Record<string, unknown>).mlp).toBe(false);
  });

  it('gpt-rms with biases is one ConfigError on model.bias', () => {
    expect(() => applySets(DEFAULT_CONFIG, ['model.arch=gpt-rms'])).toThrow(ConfigError);
    expect(() => applySets(DEFAULT_CONFIG, ['model.arch=gpt-rms'])).toThrow(/^model\.bias: gpt-rms has no biases/);
    expect(applySets(DEFAULT_CONFIG, ['model.arch=gpt-rms', 'model.bias=false']).model.arch).toBe('gpt-rms');
  });

  it('an unknown architecture or a bad combination is one line naming what is known, exit 2', () => {
    const r = weft(['run', 'baseline', '--set', 'model.arch=nope', '--steps', '1', '--no-log', '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['weft run: model.arch: must be one of "gpt", "gpt-rms", got "nope"']);
    const b = weft(['run', 'baseline', '--set', 'model.arch=gpt-rms', '--steps', '1', '--no-log', '--quiet']);
    expect(b.code).toBe(2);
    expect(b.stderr.trim().split('\n')).toHaveLength(1);
    expect(b.stderr).toContain('model.bias: gpt-rms has no biases');
  });
});

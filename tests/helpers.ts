import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mergeConfig, TINY, validateConfig, type DeepPartial, type WeftConfig } from '../src/config/config.ts';
import { loadScenario } from '../src/cli/scenarios.ts';
import { Trainer } from '../src/engine/trainer.ts';
import { hashBytes } from '../src/engine/hash.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The longest any one wait in a test may take (a child process, a page, a poll): far beyond what
 * a loaded machine needs — the slowest test takes ≈ 100 s on two busy cores — so that only a hang
 * reaches it, never a slow machine. vitest.config.ts gives tests and hooks the same.
 */
export const PATIENCE_MS = 20 * 60_000;

/** A scenario's config on the tiny model (DESIGN.md "tiny"), for `steps` steps. */
export async function tinyConfig(name: string, steps: number, extra: DeepPartial<WeftConfig> = {}): Promise<WeftConfig> {
  const s = await loadScenario(name);
  return validateConfig(mergeConfig(mergeConfig(s.config, { model: TINY, steps }), extra));
}

export const TINY_SETS = ['model.nLayers=2', 'model.dModel=32', 'model.nHeads=4', 'model.dFF=128', 'model.vocabSize=64'].flatMap((s) => ['--set', s]);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the weft CLI in a child process, as a user would. */
export function weft(args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [`${ROOT}/bin/weft.mjs`, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: PATIENCE_MS });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Hashes of what must be deterministic in a tiny run of a scenario: init, data order, losses, masks, state. */
export async function fingerprint(name: string, steps: number, extra: DeepPartial<WeftConfig> = {}) {
  const t = new Trainer(await tinyConfig(name, steps, extra));
  const init = hashBytes(t.params);
  const batches = hashBytes(t.data.batch(1).inputs, t.data.batch(7).inputs);
  const losses: number[] = [];
  const masks: Uint8Array[] = [];
  for (let i = 0; i < steps; i++) {
    const r = t.step();
    losses.push(r.loss);
    for (const m of r.masks?.values() ?? []) masks.push(m);
  }
  return { init, batches, params: hashBytes(t.params), losses: hashBytes(Float64Array.from(losses)), masks: hashBytes(...masks), state: t.stateHash() };
}

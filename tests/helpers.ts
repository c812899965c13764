import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mergeConfig, TINY, validateConfig, type DeepPartial, type WeftConfig } from '../src/engine/config.ts';
import { loadScenario } from '../src/cli/scenarios.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

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
  const r = spawnSync(process.execPath, [`${ROOT}/bin/weft.mjs`, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

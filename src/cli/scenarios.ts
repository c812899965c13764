import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError } from '../engine/errors.ts';
import type { Scenario } from '../engine/scenario.ts';

export const SCENARIO_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

export function scenarioNames(): string[] {
  return readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
}

/** A scenario by name (`scenarios/<name>.ts`) or by path to a .ts file. */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  const isPath = nameOrPath.endsWith('.ts') || nameOrPath.includes('/');
  const file = isPath ? (isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath)) : resolve(SCENARIO_DIR, `${nameOrPath}.ts`);
  if (!isPath && !/^[a-z0-9][a-z0-9-]*$/.test(nameOrPath)) throw new UsageError(`bad scenario name ${JSON.stringify(nameOrPath)}`);
  if (!existsSync(file)) {
    throw new UsageError(isPath ? `no scenario file ${file}` : `unknown scenario ${JSON.stringify(nameOrPath)}; known: ${scenarioNames().join(', ')}`);
  }
  const mod = (await import(pathToFileURL(file).href)) as { default?: Scenario };
  const s = mod.default;
  if (!s || typeof s !== 'object' || !s.config || typeof s.name !== 'string') {
    throw new UsageError(`${file}: expected \`export default defineScenario({...})\``);
  }
  return s;
}

/** True when the module at `url` is the script node/tsx was started with. */
export function isMainModule(url: string): boolean {
  const argv1 = process.argv[1];
  if (!argv1) return false;
  try {
    return realpathSync(fileURLToPath(url)) === realpathSync(argv1);
  } catch {
    return false;
  }
}

import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { COMPILED, PACKAGE_ROOT } from '../package.ts';
import { ConfigError, UsageError } from '../errors.ts';
import type { Scenario } from './scenario.ts';

/** The built-in scenarios: their sources, or compiled beside the compiled CLI (dist/scenarios). */
export const SCENARIO_DIR = join(PACKAGE_ROOT, COMPILED ? 'dist/scenarios' : 'scenarios');
const EXT = COMPILED ? '.js' : '.ts';

export function scenarioNames(): string[] {
  return readdirSync(SCENARIO_DIR).filter((f) => f.endsWith(EXT) && !f.endsWith('.d.ts')).map((f) => f.slice(0, -EXT.length)).sort();
}

/** A scenario by name (`scenarios/<name>.ts`) or by path to a .ts file. */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  const isPath = nameOrPath.endsWith('.ts') || nameOrPath.includes('/');
  const file = isPath ? (isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath)) : resolve(SCENARIO_DIR, `${nameOrPath}${EXT}`);
  if (isPath && !existsSync(file)) throw new UsageError(`no scenario file ${file}`);
  if (!isPath && (!/^[a-z0-9][a-z0-9-]*$/.test(nameOrPath) || !existsSync(file))) {
    const known = scenarioNames();
    const near = closest(nameOrPath, known);
    throw new UsageError(`unknown scenario ${JSON.stringify(nameOrPath)}${near ? `; did you mean ${near}?` : ''}; known: ${known.join(', ')}`);
  }
  const shown = relative(process.cwd(), file) || file;
  // a user's TypeScript scenario under the compiled CLI: Node needs tsx to load it (Bun and Deno do not)
  if (COMPILED && /\.[cm]?ts$/.test(file)) await typeScriptLoader();
  let mod: { default?: Scenario };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: Scenario };
  } catch (e) {
    if (e instanceof ConfigError && e.file) throw e;
    throw new UsageError(`${shown}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const s = mod.default;
  if (!s || typeof s !== 'object' || !s.config || typeof s.name !== 'string') {
    throw new UsageError(`${shown}: expected \`export default defineScenario({...})\``);
  }
  return s;
}

let loaderRegistered = false;

/** Registers tsx on Node, once (the compiled CLI does not otherwise need it). */
async function typeScriptLoader(): Promise<void> {
  if (loaderRegistered || process.versions.bun || (globalThis as { Deno?: unknown }).Deno) return;
  const { register } = await import('tsx/esm/api');
  register();
  loaderRegistered = true;
}

/** Edit distance (insert, delete, substitute), case-insensitive and with _ read as -. */
function distance(a: string, b: string): number {
  a = a.toLowerCase().replaceAll('_', '-');
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The known name nearest to a mistyped one, if it is near enough to be meant. */
function closest(name: string, known: string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(2, Math.floor(name.length / 4)) ? best : null;
}

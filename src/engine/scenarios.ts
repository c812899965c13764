import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { COMPILED, PACKAGE_ROOT } from '../package.ts';
import { ConfigError, UsageError } from '../errors.ts';
import type { Scenario } from './scenario.ts';
import { DATA_FILE, fileScenario } from './file-scenario.ts';

/** The built-in scenarios: their sources, or compiled beside the compiled CLI (dist/scenarios). */
export const SCENARIO_DIR = join(PACKAGE_ROOT, COMPILED ? 'dist/scenarios' : 'scenarios');
const EXT = COMPILED ? '.js' : '.ts';
/** A scenario file of a user's project: TypeScript (`.mts`: an ES module in a CommonJS project too). */
const PROJECT_EXTS = ['.ts', '.mts'];

/** The built-in scenarios' names. */
export function scenarioNames(): string[] {
  return readdirSync(SCENARIO_DIR).filter((f) => f.endsWith(EXT) && !f.endsWith('.d.ts')).map((f) => f.slice(0, -EXT.length)).sort();
}

/**
 * The project a command runs in: the nearest folder above the working directory (or `from`) with
 * a package.json, outside node_modules; null when there is none.
 */
export function projectRoot(from = process.cwd()): string | null {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && !dir.split(sep).includes('node_modules')) return dir;
    if (dirname(dir) === dir) return null;
  }
}

/** The project's own scenarios folder (`<project>/scenarios`), when it has one and is not weft itself. */
export function projectScenarioDir(): string | null {
  const root = projectRoot();
  if (!root || resolve(root) === resolve(PACKAGE_ROOT)) return null;
  const dir = join(root, 'scenarios');
  return existsSync(dir) ? dir : null;
}

/** The project's scenarios by name (file stem), in name order. */
export function projectScenarioNames(): string[] {
  const dir = projectScenarioDir();
  if (!dir) return [];
  const names = readdirSync(dir).flatMap((f) => PROJECT_EXTS.filter((e) => f.endsWith(e) && !f.endsWith(`.d${e}`)).map((e) => f.slice(0, -e.length)));
  return [...new Set(names)].filter((n) => SCENARIO_NAME.test(n)).sort();
}

const SCENARIO_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** Where a scenario named `name` is: the project's scenarios/ first, then weft's built-ins; null when neither has it. */
export function findScenario(name: string): { file: string; builtIn: boolean } | null {
  if (!SCENARIO_NAME.test(name)) return null;
  const dir = projectScenarioDir();
  for (const e of dir ? PROJECT_EXTS : []) {
    const f = join(dir!, `${name}${e}`);
    if (existsSync(f)) return { file: f, builtIn: false };
  }
  const builtIn = builtInFile(name);
  return existsSync(builtIn) ? { file: builtIn, builtIn: true } : null;
}

/** The file of weft's built-in scenario `name` (source or compiled). */
export function builtInFile(name: string): string {
  return join(SCENARIO_DIR, `${name}${EXT}`);
}

/** Whether a scenario file is one of weft's own. */
export function isBuiltIn(file: string): boolean {
  return resolve(dirname(file)) === resolve(SCENARIO_DIR);
}

/**
 * A scenario by name — the project's `scenarios/<name>.ts` (or `.mts`), else weft's built-in of
 * that name — or by path to a .ts/.mts file, or a data file (.txt, .bin). The scenario knows its file (goldens go beside the
 * project it belongs to).
 */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  // a user's data file: the baseline scenario on it (file-scenario.ts)
  if (DATA_FILE.test(nameOrPath)) return fileScenario(nameOrPath, await loadScenario(builtInFile('baseline')));
  const isPath = /\.[cm]?ts$/.test(nameOrPath) || nameOrPath.includes('/') || nameOrPath.includes(sep);
  let file: string;
  if (isPath) {
    file = isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath);
    // a log or a README given to `run` is no scenario: said before Node's "Unknown file extension"
    if (!/\.[cm]?[jt]s$/.test(file)) throw new UsageError(`${nameOrPath}: expected a scenario's name, a scenario file (.ts, .mts, .js, .mjs), a text file (.txt) or a token file (.bin)${file.endsWith('.weft') ? ' — a log is continued with --resume --out LOG, or forked with weft fork' : ''}`);
    if (!existsSync(file)) throw new UsageError(`no scenario file ${file}`);
  } else {
    const found = findScenario(nameOrPath);
    if (!found) {
      const known = [...new Set([...projectScenarioNames(), ...scenarioNames()])];
      const near = closest(nameOrPath, known);
      const dir = projectScenarioDir();
      throw new UsageError(`unknown scenario ${JSON.stringify(nameOrPath)}${near ? ` (did you mean ${near}?)` : ''}; known: ${known.join(', ')}${dir ? ` (from ${relative(process.cwd(), dir) || '.'}/ and weft's built-ins)` : ''}`);
    }
    file = found.file;
  }
  const shown = relative(process.cwd(), file) || file;
  // a user's TypeScript scenario on Node: tsx to load it under the compiled CLI (the sources' bin
  // has registered it), and as an ES module whatever the project's package.json says
  if (/\.[cm]?ts$/.test(file)) await typeScriptLoader();
  let mod: { default?: Scenario };
  try {
    mod = (await importUnlessItHangs(pathToFileURL(file).href, shown)) as { default?: Scenario };
  } catch (e) {
    if (e instanceof ConfigError && e.file) throw e;
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${shown}: ${loadProblem(e, file)}`);
  }
  const s = mod.default;
  if (!s || typeof s !== 'object' || !s.config || typeof s.name !== 'string') {
    throw new UsageError(`${shown}: expected \`export default defineScenario({...})\``);
  }
  return { ...s, file };
}

/**
 * How the command line names a scenario from the working directory: its name when the name leads
 * to its file (a built-in, or the project's scenarios/<name>.ts), else the file's path (`./…`).
 */
export function scenarioArgument(s: Pick<Scenario, 'name' | 'file'>): string {
  if (!s.file) return s.name;
  if (findScenario(s.name)?.file === resolve(s.file)) return s.name;
  const r = relative(process.cwd(), s.file);
  return isAbsolute(r) || r.startsWith('..') ? r : `./${r}`;
}

/**
 * Imports a module, and if its top level never settles (an await on something that never
 * resolves) — which Node reports by exiting 13 with no word — says so in one line, exit 2: the
 * event loop runs dry while the import is pending ('beforeExit'; Node's exit for an unsettled
 * top-level await fires no 'exit' event).
 */
async function importUnlessItHangs(url: string, shown: string): Promise<unknown> {
  const onIdle = () => {
    process.off('beforeExit', onIdle);
    process.stderr.write(`weft: ${shown}: its top level never finished (an await on something that never settles)\n`);
    process.exitCode = 2;
  };
  process.on('beforeExit', onIdle);
  try {
    return await import(url);
  } finally {
    process.off('beforeExit', onIdle);
  }
}

/** What went wrong loading a scenario file, in one line: the syntax error with its place, or what to change. */
function loadProblem(e: unknown, file: string): string {
  const err = e as { message?: string; code?: string; errors?: { text: string; location?: { line: number; column: number } | null }[] };
  const message = String(err.message ?? e);
  // esbuild (through tsx): "Transform failed with 1 error:\n<file>:3:10: ERROR: …"
  const first = err.errors?.[0];
  if (first) return `${first.location ? `line ${first.location.line}, column ${first.location.column + 1}: ` : ''}${first.text}`;
  const commonJs = /Cannot require\(\) ES Module|ERR_REQUIRE_(ESM|CYCLE_MODULE|ASYNC_MODULE)|not supported with the "cjs" output format|require is not defined|Cannot use import statement outside a module/.test(`${err.code ?? ''} ${message}`);
  const root = projectRoot(dirname(file));
  if (commonJs && /\.ts$/.test(file) && root && !isModuleProject(root)) {
    return `the project is CommonJS (${relative(process.cwd(), join(root, 'package.json')) || 'package.json'} has no "type": "module") and a scenario is an ES module: add "type": "module" to it, or name the file ${basename(file).replace(/\.ts$/, '.mts')}`;
  }
  const lines = message.split('\n').filter((l) => l.trim() && !/^Transform failed with/.test(l));
  return lines[0] ?? message;
}

function isModuleProject(root: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { type?: string }).type === 'module';
  } catch {
    return false;
  }
}

let loaderRegistered = false;

/**
 * Registers, on Node and once, tsx (the compiled CLI does not otherwise need it) and the hook that
 * loads TypeScript outside node_modules as ES modules (esm-hook.mjs). Bun and Deno load
 * TypeScript themselves.
 */
async function typeScriptLoader(): Promise<void> {
  if (loaderRegistered || process.versions.bun || (globalThis as { Deno?: unknown }).Deno) return;
  if (COMPILED) (await import('tsx/esm/api')).register();
  const { register } = await import('node:module');
  // this package's entry, compiled or source: a scenario's `import … from 'weft'` gets this weft
  const weft = new URL(COMPILED ? '../index.js' : '../index.ts', import.meta.url).href;
  register('./esm-hook.mjs', { parentURL: import.meta.url, data: { weft } });
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

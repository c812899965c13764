// A clone being edited: src/ newer than dist/ (here: no dist/ at all), so the bin runs the
// TypeScript sources. A scenario written as the README shows runs by name at once, and a mistake
// in it is one line naming its file. And a project's own scenarios/ come first, by name and in --list.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PATIENCE_MS, ROOT } from '../helpers.ts';
import { tempDir } from '../log/helpers.ts';

/** The README's "Write your own scenario" block, as a user copies it. */
const README_SCENARIO = /```ts\n(\/\/ scenarios\/deep-relu\.ts\n[\s\S]*?)```/.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'))![1];

function clone(): string {
  const dir = join(tempDir(), 'weft');
  for (const f of ['bin', 'src', 'scenarios', 'package.json', 'tsconfig.json']) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

const run = (cwd: string, bin: string, args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: PATIENCE_MS });

describe('scenarios where people write them', () => {
  it('in a clone run from its sources, a new scenario as the README writes it runs by name at once; a misspelt key is one line naming the file', () => {
    const dir = clone();
    const bin = join(dir, 'bin/weft.mjs');
    writeFileSync(join(dir, 'scenarios/deep-relu.ts'), README_SCENARIO);
    const r = run(dir, bin, ['run', 'deep-relu', '--model', 'tiny', '--steps', '2', '--no-log']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/loss [\d.]+ → [\d.]+ \(step 2\)/);
    // as a script, too
    const script = spawnSync(process.execPath, [join(dir, 'node_modules/tsx/dist/cli.mjs'), 'scenarios/deep-relu.ts', '--model', 'tiny', '--steps', '1', '--no-log'], { cwd: dir, encoding: 'utf8', timeout: PATIENCE_MS });
    expect(script.status, script.stderr).toBe(0);
    writeFileSync(join(dir, 'scenarios/deep-relu.ts'), README_SCENARIO.replace("activation: 'relu'", "activaton: 'relu'"));
    for (const args of [[bin, 'run', 'deep-relu'], [join(dir, 'node_modules/tsx/dist/cli.mjs'), 'scenarios/deep-relu.ts']]) {
      const typo = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: PATIENCE_MS });
      expect(typo.status, args.join(' ')).toBe(2);
      expect(typo.stderr.trim()).toMatch(/^weft run: scenarios\/deep-relu\.ts: model\.activaton: unknown key; known keys here: .*activation/);
      expect(typo.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it("a project's scenarios/ come first: by name, in --list, a built-in of the same name shadowed and named", () => {
    const project = tempDir();
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'mine', private: true }));
    mkdirSync(join(project, 'scenarios'));
    writeFileSync(join(project, 'scenarios/baseline.ts'), [
      "import { defineScenario } from 'weft';",
      "export default defineScenario({ name: 'baseline', description: 'my own baseline', config: { steps: 1 } });",
      '',
    ].join('\n'));
    const bin = join(ROOT, 'bin/weft.mjs');
    const list = run(project, bin, ['run', '--list']);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^scenarios\/ \(this project's\)\n  baseline +my own baseline\nweft's built-ins\n  baseline +The story's model.* \(yours shadows it; this one: npx weft run .*scenarios\/baseline\.[jt]s\)\n/);
    const mine = run(project, bin, ['run', 'baseline', '--model', 'tiny', '--json', '--no-log']);
    expect(mine.status, mine.stderr).toBe(0);
    expect(JSON.parse(mine.stdout).description).toBe('my own baseline');
    const unknown = run(project, bin, ['run', 'basline']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown scenario "basline" \(did you mean baseline\?\); known: .* \(from scenarios\/ and weft's built-ins\)/);
  });

  it('a scenario whose top level never settles is one line, exit 2 (Node alone exits 13 and says nothing)', () => {
    const project = tempDir();
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'mine', private: true, type: 'module' }));
    writeFileSync(join(project, 'hang.ts'), [
      "import { defineScenario } from 'weft';",
      'await new Promise(() => {});',
      "export default defineScenario({ name: 'hang', description: 'never loads', config: {} });",
      '',
    ].join('\n'));
    const r = run(project, join(ROOT, 'bin/weft.mjs'), ['run', './hang.ts']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('weft: hang.ts: its top level never finished (an await on something that never settles)');
  });
});

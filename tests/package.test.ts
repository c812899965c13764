// weft as a package: `npm pack` gives a tarball that installs into an empty folder, whose `weft`
// bin trains and records there (compiled code; tsx only for a user's .ts scenario), and whose
// `import … from 'weft'` is typed (exports with types) and runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PATIENCE_MS, ROOT } from './helpers.ts';
import { tempDir } from './log/helpers.ts';

const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the npm package', () => {
  let tarball = '';
  beforeAll(() => {
    const packs = join(tempDir(), 'packs');
    mkdirSync(packs);
    npm(['pack', '--silent', '--pack-destination', packs], ROOT);
    tarball = join(packs, readdirSync(packs).find((f) => f.endsWith('.tgz'))!);
  });

  it('packs, installs into an empty folder, runs its bin and its typed API', () => {
    const dir = tempDir();
    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    npm(['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], app);

    // the bin, from the compiled code
    const weft = join(app, 'node_modules/.bin/weft');
    const run = spawnSync(weft, ['run', 'baseline', '--steps', '2', '--set', 'model.nLayers=2', '--set', 'model.dModel=32', '--set', 'model.nHeads=4', '--set', 'model.dFF=128', '--out', 'runs/b.weft', '--quiet'], { cwd: app, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(existsSync(join(app, 'runs/b.weft'))).toBe(true);
    const verify = spawnSync(weft, ['verify', 'runs/b.weft'], { cwd: app, encoding: 'utf8' });
    expect(verify.stdout).toMatch(/reproduced — 2 steps re-executed/);
    const inspect = spawnSync(weft, ['inspect', 'runs/b.weft'], { cwd: app, encoding: 'utf8' });
    expect(inspect.status, inspect.stderr).toBe(0);
    expect(inspect.stdout).toMatch(/steps 1…2 \(2\)[\s\S]*checked: all \d+ frames intact/);
    // the baseline's own model: its log written by a recording thread, from dist/'s record-worker.js
    const big = spawnSync(weft, ['run', 'baseline', '--steps', '4', '--record', 'full', '--out', 'runs/big.weft', '--quiet'], { cwd: app, encoding: 'utf8' });
    expect(big.status, big.stderr).toBe(0);
    expect(big.stderr).toBe('');
    const bigVerify = spawnSync(weft, ['verify', 'runs/big.weft'], { cwd: app, encoding: 'utf8' });
    expect(bigVerify.stdout, bigVerify.stderr).toMatch(/reproduced — 4 steps re-executed/);
    // the Python reader comes with the package (run where Debian's numpy and msgpack are)
    const python = '/usr/bin/python3';
    if (spawnSync(python, ['-c', 'import numpy, msgpack']).status === 0) {
      const py = spawnSync(python, [join(app, 'node_modules/weft/python/weft_read.py'), 'runs/b.weft', '--json'], { cwd: app, encoding: 'utf8' });
      expect(py.status, py.stderr).toBe(0);
      expect(JSON.parse(py.stdout).steps).toHaveLength(2);
    }

    // a user's TypeScript scenario importing 'weft'
    writeFileSync(join(app, 'mine.ts'), [
      "import { defineScenario } from 'weft';",
      "export default defineScenario({ name: 'mine', description: 'a user scenario', config: { steps: 2, model: { activation: 'relu' } } });",
      '',
    ].join('\n'));
    const mine = spawnSync(weft, ['run', './mine.ts', '--model', 'tiny', '--out', 'runs/mine.weft', '--quiet'], { cwd: app, encoding: 'utf8' });
    expect(mine.status, mine.stderr).toBe(0);

    // the API, typed: a type error is caught, correct use compiles and runs
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: [] }, include: ['use.ts'] }));
    writeFileSync(join(app, 'use.ts'), [
      "import { DEFAULT_CONFIG, mergeConfig, TINY, Trainer, validateConfig, type StepRecord } from 'weft';",
      "import { packBits, type Kernels } from 'weft/internals';",
      'const kernelKeys: (keyof Kernels)[] = [\'matmulForward\'];',
      'const packed: Uint8Array = packBits(new Uint8Array([1, 0, 1]));',
      'const config = validateConfig(mergeConfig(DEFAULT_CONFIG, { model: TINY, steps: 1 }));',
      'const step: StepRecord = new Trainer(config).step();',
      'const loss: number = step.loss;',
      '// @ts-expect-error: the loss is a number, not a string',
      'const wrong: string = step.loss;',
      'export { loss, wrong, kernelKeys, packed };',
      '',
    ].join('\n'));
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', app], { cwd: app, encoding: 'utf8' });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    writeFileSync(join(app, 'use.mjs'), "import { DEFAULT_CONFIG, mergeConfig, TINY, Trainer, validateConfig } from 'weft';\nconsole.log(new Trainer(validateConfig(mergeConfig(DEFAULT_CONFIG, { model: TINY, steps: 1 }))).step().loss);\n");
    const use = spawnSync(process.execPath, ['use.mjs'], { cwd: app, encoding: 'utf8' });
    expect(use.status, use.stderr).toBe(0);
    expect(Number(use.stdout)).toBeGreaterThan(3);

    // weft view serves the page built into dist/ (uPlot is not installed with the package)
    writeFileSync(join(app, 'view.mjs'), `import { spawn } from 'node:child_process';
const child = spawn(${JSON.stringify(weft)}, ['view', 'runs/b.weft', '--port', '0']);
let out = '';
child.stdout.on('data', async (c) => {
  out += c;
  const url = /http:\\/\\/127\\.0\\.0\\.1:\\d+\\//.exec(out)?.[0];
  if (!url || child.asked) return;
  child.asked = true;
  const js = await fetch(url + 'app.js');
  const runs = await (await fetch(url + 'api/runs')).json();
  console.log(js.status, (await js.text()).length > 10000, runs[0].name);
  child.kill('SIGINT');
});
child.on('exit', (code) => console.log('exit', code));
`);
    const view = spawnSync(process.execPath, ['view.mjs'], { cwd: app, encoding: 'utf8', timeout: PATIENCE_MS });
    expect(view.stdout.trim().split('\n'), view.stderr).toEqual(['200 true b.weft', 'exit 0']);
  });

  it('in a project of your own (npm init -y): your scenario by name, its golden in your snapshots/, checked by vitest, kept by npm ci, refused in CI', () => {
    const app = join(tempDir(), 'project');
    mkdirSync(join(app, 'scenarios'), { recursive: true });
    npm(['init', '-y'], app); // "type": "commonjs", as npm writes it
    npm(['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], app);
    const weft = (args: string[], env: Record<string, string> = {}) => spawnSync(join(app, 'node_modules/.bin/weft'), args, { cwd: app, encoding: 'utf8', env: { ...process.env, CI: '', ...env } });
    const scenario = (over: string) => [
      "import { defineScenario, runIfMain } from 'weft';",
      '',
      'const scenario = defineScenario({',
      "  name: 'mine',",
      "  description: 'The baseline with ReLU instead of GELU.',",
      `  config: { steps: 4, model: { ${over} } },`,
      "  expectations: [{ text: 'the loss falls', check: (r) => r.loss(r.lastStep) < r.loss(1) }],",
      '});',
      '',
      'export default scenario;',
      'await runIfMain(import.meta.url, scenario);',
      '',
    ].join('\n');
    const file = join(app, 'scenarios/mine.ts');

    // a misspelt key: one line naming the user's file and the field, exit 2
    writeFileSync(file, scenario("activaton: 'relu'"));
    const typo = weft(['run', 'mine', '--model', 'tiny']);
    expect(typo.status).toBe(2);
    expect(typo.stderr.trim()).toMatch(/^weft run: scenarios\/mine\.ts: model\.activaton: unknown key; known keys here: .*activation/);
    expect(typo.stderr.trim().split('\n')).toHaveLength(1);

    // fixed, it runs by name from the project's scenarios/
    writeFileSync(file, scenario("activation: 'relu'"));
    const run = weft(['run', 'mine', '--model', 'tiny', '--quiet']);
    expect(run.status, run.stderr).toBe(0);

    // its golden lands in the project's snapshots/, and npm ci keeps it
    const update = weft(['snapshot', 'update', 'mine']);
    expect(update.status, update.stderr).toBe(0);
    expect(update.stdout).toMatch(/mine: new golden → snapshots\/mine\.golden\.json/);
    const golden = readFileSync(join(app, 'snapshots/mine.golden.json'), 'utf8');
    npm(['install', '--no-audit', '--no-fund', '--prefer-offline', '-D', 'vitest@4.1.12'], app);
    npm(['ci', '--no-audit', '--no-fund', '--prefer-offline'], app);
    expect(readFileSync(join(app, 'snapshots/mine.golden.json'), 'utf8')).toBe(golden);
    expect(existsSync(join(app, 'node_modules/weft/snapshots/mine.golden.json'))).toBe(false);

    // a vitest test with toMatchGolden passes
    mkdirSync(join(app, 'test'));
    writeFileSync(join(app, 'test/golden.test.ts'), [
      "import { expect, it } from 'vitest';",
      "import 'weft/vitest';",
      "import scenario from '../scenarios/mine.ts';",
      '',
      "it('mine matches its golden', () => {",
      '  expect(scenario).toMatchGolden();',
      '});',
      '',
    ].join('\n'));
    const vitest = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [join(app, 'node_modules/vitest/vitest.mjs'), 'run', ...args], { cwd: app, encoding: 'utf8', env: { ...process.env, CI: '', ...env } });
    const pass = vitest([]);
    expect(pass.status, pass.stdout + pass.stderr).toBe(0);

    // a changed config value fails, naming where, and the command it suggests works as printed
    writeFileSync(file, scenario("activation: 'relu', dropout: 0.2"));
    const fail = vitest([]);
    expect(fail.status).toBe(1);
    const out = fail.stdout + fail.stderr;
    expect(out).toMatch(/golden mine: run diverged at step 0, field config/);
    const suggested = /accept it: (npx weft snapshot update \S+)/.exec(out)?.[1];
    expect(suggested).toBe('npx weft snapshot update mine');
    // CI=true refuses the update, and the golden stays
    const refused = weft(['snapshot', 'update', 'mine'], { CI: 'true' });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/refuses to run when CI is set/);
    const ciUpdate = vitest(['-u'], { CI: 'true' });
    expect(ciUpdate.status).toBe(1);
    expect(ciUpdate.stdout + ciUpdate.stderr).toMatch(/vitest -u did not rewrite golden mine: CI is set/);
    expect(readFileSync(join(app, 'snapshots/mine.golden.json'), 'utf8')).toBe(golden);
    const accepted = spawnSync('npx', suggested!.split(' ').slice(1), { cwd: app, encoding: 'utf8', env: { ...process.env, CI: '' } });
    expect(accepted.status, accepted.stderr).toBe(0);
    expect(vitest([]).status).toBe(0);
    // and vitest -u is the other way to accept a change
    writeFileSync(file, scenario("activation: 'relu', dropout: 0.3"));
    expect(vitest(['-u']).status).toBe(0);
    expect(vitest([]).status).toBe(0);
  });
});

// The CI recipe (docs/ci/): both files parse, and the shell commands of their steps, run as the
// CI runs them in a project of one's own (the packed weft installed, a scenario, its golden),
// pass while the golden matches; after a changed config value the check fails (exit 1) and
// leaves (--artifacts) for the job's artifact the check's output, the check's run (log and HTML
// report) and an HTML diff with a run of the golden's config, which reproduces the golden's
// numbers bit for bit. What the runner itself provides (checkout, setup-node, upload-artifact,
// the image) is done by its local equivalent here.
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { goldenFloat } from '../src/golden/format.ts';
import { openLog } from '../src/log/reader.ts';
import { PATIENCE_MS, ROOT } from './helpers.ts';
import { tempDir } from './log/helpers.ts';

const DOCS = join(ROOT, 'docs/ci');
const GITHUB = readFileSync(join(DOCS, 'github-actions.yml'), 'utf8');
const GITLAB = readFileSync(join(DOCS, 'gitlab-ci.yml'), 'utf8');
/** The lines docs/ci/README.md says to run in a project (its sh block); the README's section shows the first. */
const ADD_LINES = /```sh\n([\s\S]*?)```/.exec(readFileSync(join(DOCS, 'README.md'), 'utf8'))![1];
const exec = promisify(execFile);
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

interface Shell {
  code: number;
  out: string;
}

let scripts = 0;
/** Runs a script as the runner does (bash with its flags), with the environment the runner sets. */
async function sh(script: string, flags: string[], cwd: string, env: Record<string, string>): Promise<Shell> {
  const file = join(cwd, '..', `script-${++scripts}.sh`);
  // the registry's packages are in npm's cache already
  writeFileSync(file, script.replace(/^npm ci$/m, 'npm ci --prefer-offline --no-audit --no-fund'));
  // setup-node / the node:20 image: the Node that runs these tests, first on the PATH
  const PATH = `${dirname(process.execPath)}:${process.env.PATH}`;
  // offline: every package is in npm's cache, and an `npx weft` where weft is not installed must
  // fail here, not download whatever the registry calls weft
  const npmOffline = { npm_config_offline: 'true' };
  try {
    const r = await exec('bash', [...flags, file], { cwd, encoding: 'utf8', env: { ...process.env, PATH, ...npmOffline, ...env }, timeout: PATIENCE_MS });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

interface GithubStep {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  with?: Record<string, string | number>;
}

/** A step's `if:` as GitHub reads the forms the workflow uses; any other form fails the test. */
function githubCondition(expr: string | undefined, failed: boolean, outcomes: Record<string, string>): boolean {
  if (!expr) return !failed;
  const terms = expr.replace(/^\$\{\{(.*)\}\}$/, '$1').split('&&').map((t) => t.trim());
  const hasStatus = terms.some((t) => /^(success|failure|always)\(\)$/.test(t));
  return (hasStatus || !failed) && terms.every((t) => {
    if (t === 'failure()') return failed;
    if (t === 'success()') return !failed;
    if (t === 'always()') return true;
    const m = /^steps\.([\w-]+)\.outcome == '(\w+)'$/.exec(t);
    if (!m) throw new Error(`a condition this test cannot evaluate: ${t}`);
    return (outcomes[m[1]] ?? 'skipped') === m[2];
  });
}

/** The workflow's one job in `dir`: each step's outcome by name, what it printed, and the uploaded artifacts in `artifacts/`. */
async function runGithubJob(dir: string, artifacts: string) {
  const steps = parse(GITHUB).jobs.goldens.steps as GithubStep[];
  const ran: { step: string; outcome: string; out: string }[] = [];
  const outcomes: Record<string, string> = {};
  let failed = false;
  for (const s of steps) {
    const step = s.name ?? s.uses ?? s.run!;
    let r: Shell = { code: 0, out: '' };
    if (!githubCondition(s.if, failed, outcomes)) {
      ran.push({ step, outcome: 'skipped', out: '' });
      if (s.id) outcomes[s.id] = 'skipped';
      continue;
    }
    if (s.uses === 'actions/checkout@v4') {
      // the project's copy in dir is the checkout
    } else if (s.uses === 'actions/setup-node@v4') {
      expect(s.with?.['node-version']).toBe(20);
      expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(20);
    } else if (s.uses === 'actions/upload-artifact@v4') {
      const from = join(dir, String(s.with!.path));
      if (existsSync(from)) cpSync(from, join(artifacts, String(s.with!.name)), { recursive: true });
    } else if (s.run !== undefined) {
      // GitHub's bash: `bash -e {0}`, or with `shell: bash` `bash --noprofile --norc -eo pipefail {0}`
      const flags = s.shell === undefined ? ['-e'] : s.shell === 'bash' ? ['--noprofile', '--norc', '-eo', 'pipefail'] : null;
      if (!flags) throw new Error(`a shell this test does not know: ${s.shell}`);
      r = await sh(s.run, flags, dir, { CI: 'true', GITHUB_ACTIONS: 'true' });
    } else throw new Error(`an action this test has no local equivalent for: ${s.uses}`);
    const outcome = r.code === 0 ? 'success' : 'failure';
    failed ||= outcome === 'failure';
    if (s.id) outcomes[s.id] = outcome;
    ran.push({ step, outcome, out: r.out });
  }
  return ran;
}

/** The GitLab job in `dir`: script, then after_script with CI_JOB_STATUS, then the artifacts by their `when`. */
async function runGitlabJob(dir: string, artifacts: string) {
  const job = parse(GITLAB)['weft-goldens'] as { image: string; script: string[]; after_script?: string[]; artifacts: { when: string; paths: string[] } };
  expect(job.image).toBe('node:20');
  const env = { CI: 'true', GITLAB_CI: 'true' };
  // the runner's bash stops at the first line that fails (pipefail is the job's own business)
  const script = await sh(job.script.join('\n'), ['-e'], dir, env);
  const status = script.code === 0 ? 'success' : 'failed';
  const after = job.after_script ? await sh(job.after_script.join('\n'), ['-e'], dir, { ...env, CI_JOB_STATUS: status }) : { code: 0, out: '' };
  const when = job.artifacts.when ?? 'on_success';
  if (when === 'always' || when === `on_${status === 'failed' ? 'failure' : 'success'}`) {
    for (const p of job.artifacts.paths) if (existsSync(join(dir, p))) cpSync(join(dir, p), join(artifacts, p), { recursive: true });
  }
  return { script, status, after };
}

const SCENARIO = (model: string) => `import { defineScenario } from 'weft';

export default defineScenario({
  name: 'mine',
  description: 'The baseline with ReLU instead of GELU.',
  config: { steps: 4, model: { ${model} } },
});
`;

/** The artifact of a failed check of 'mine' after its dropout went from 0.1 to 0.2, and what each file holds. */
function expectExplained(artifact: string, golden: { steps: { step: number; loss: { hex: string } }[] }): void {
  expect(readdirSync(artifact).sort()).toEqual(['check.json', 'check.txt', 'mine-golden.html', 'mine-golden.weft', 'mine.diff.html', 'mine.diff.txt', 'mine.html', 'mine.weft']);
  const text = readFileSync(join(artifact, 'check.txt'), 'utf8');
  expect(text).toMatch(/^golden mine: run diverged at step 0, field config\n/);
  expect(text).toMatch(/config +model\.dropout=0\.1 → model\.dropout=0\.2/);
  expect(text).toContain('accept it: npx weft snapshot update mine');
  const check = JSON.parse(readFileSync(join(artifact, 'check.json'), 'utf8'));
  expect(check).toHaveLength(1);
  expect(check[0]).toMatchObject({ scenario: 'mine', status: 'mismatch', report: { first: { step: 0, field: 'config' } } });
  const last = golden.steps[golden.steps.length - 1];
  // the log is the run the check compared: its last golden step's loss is the check's "actual", bit for bit
  const actualLoss = (check[0].report.mismatches as { step: number; field: string; actual: string }[]).find((m) => m.step === last.step && m.field === 'loss')!;
  const changed = openLog(join(artifact, 'mine.weft'));
  expect(changed.header.config.model.dropout).toBe(0.2);
  expect(`(0x${goldenFloat(changed.step(last.step).loss).hex})`).toBe(/\(0x[0-9a-f]{16}\)/.exec(actualLoss.actual)![0]);
  changed.close();
  // the golden's config, run by today's code, gives the golden's numbers: the diff is the config's doing
  const before = openLog(join(artifact, 'mine-golden.weft'));
  expect(before.header.config.model.dropout).toBe(0.1);
  for (const s of golden.steps) expect(goldenFloat(before.step(s.step).loss).hex, `step ${s.step}`).toBe(s.loss.hex);
  before.close();
  expect(readFileSync(join(artifact, 'mine.diff.txt'), 'utf8')).toMatch(/^differ: first at step 1[^\n]*\n  cause: [^\n]*model\.dropout: 0\.1 vs 0\.2\nconfig differences\n  model\.dropout +0\.1 → 0\.2\nloss per step/);
  for (const [file, title] of [['mine.html', 'weft run report: mine'], ['mine.diff.html', 'weft diff']]) {
    const html = readFileSync(join(artifact, file), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(title);
    expect(html).not.toMatch(/(src|href)=["']?https?:/); // self-contained: opens from the artifact's zip
  }
  expect(readFileSync(join(artifact, 'mine.diff.html'), 'utf8')).toContain('model.dropout');
}

describe('the CI recipe (docs/ci/)', () => {
  let base = '';
  let golden: { steps: { step: number; loss: { hex: string } }[] };

  /** A fresh checkout of the project (its committed files: no node_modules, no runs). */
  const checkout = (name: string, model?: string): string => {
    const dir = join(base, name);
    for (const f of ['package.json', 'package-lock.json', 'scenarios', 'snapshots']) cpSync(join(base, 'project', f), join(dir, f), { recursive: true });
    if (model) writeFileSync(join(dir, 'scenarios/mine.ts'), SCENARIO(model));
    return dir;
  };

  beforeAll(() => {
    // the packed weft, a project installing it (the lockfile points at ../packs/), a scenario and its golden
    base = tempDir();
    const packs = join(base, 'packs');
    const project = join(base, 'project');
    mkdirSync(packs);
    mkdirSync(join(project, 'scenarios'), { recursive: true });
    npm(['pack', '--silent', '--pack-destination', packs], ROOT);
    const tarball = join(packs, readdirSync(packs).find((f) => f.endsWith('.tgz'))!);
    npm(['init', '-y'], project);
    npm(['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], project);
    writeFileSync(join(project, 'scenarios/mine.ts'), SCENARIO("activation: 'relu'"));
    execFileSync(join(project, 'node_modules/.bin/weft'), ['snapshot', 'update', 'mine'], { cwd: project, env: { ...process.env, CI: '' }, stdio: 'ignore' });
    golden = JSON.parse(readFileSync(join(project, 'snapshots/mine.golden.json'), 'utf8'));
    // the two lines docs/ci/README.md gives copy these very files from the package
    execFileSync('bash', ['-ec', ADD_LINES], { cwd: project });
    expect(readFileSync(join(project, '.github/workflows/weft-goldens.yml'), 'utf8')).toBe(GITHUB);
    expect(readFileSync(join(project, '.gitlab-ci.yml'), 'utf8')).toBe(GITLAB);
  });

  it('both files parse; both run the same check, and keep weft-ci/ only on failure', () => {
    const gh = parse(GITHUB);
    const gl = parse(GITLAB)['weft-goldens'];
    const steps = gh.jobs.goldens.steps as GithubStep[];
    expect(steps.map((s) => s.uses ?? s.run)).toEqual(['actions/checkout@v4', 'actions/setup-node@v4', 'npm ci', 'npx weft snapshot check --artifacts weft-ci', 'actions/upload-artifact@v4']);
    expect(steps.find((s) => s.uses === 'actions/upload-artifact@v4')).toMatchObject({ if: 'failure()', with: { path: 'weft-ci/' } });
    expect(gl.script).toEqual(['npm ci', steps[3].run]);
    expect(gl.artifacts).toMatchObject({ when: 'on_failure', paths: ['weft-ci/'] });
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(ADD_LINES.split('\n')[0]);
  });

  it.concurrent('GitHub Actions: passes while the golden matches; a changed config value fails the check and uploads what shows why', async () => {
    const pass = await runGithubJob(checkout('gh-pass'), join(base, 'gh-pass-artifacts'));
    expect(pass.map((s) => [s.step, s.outcome])).toEqual([
      ['actions/checkout@v4', 'success'], ['actions/setup-node@v4', 'success'], ['npm ci', 'success'], ['Check the goldens', 'success'],
      ['actions/upload-artifact@v4', 'skipped'],
    ]);
    expect(pass[3].out).toContain('golden mine: matches bit for bit');
    expect(existsSync(join(base, 'gh-pass-artifacts'))).toBe(false);

    const artifacts = join(base, 'gh-fail-artifacts');
    const fail = await runGithubJob(checkout('gh-fail', "activation: 'relu', dropout: 0.2"), artifacts);
    expect(fail.map((s) => [s.step, s.outcome]), fail.map((s) => s.out).join('\n')).toEqual([
      ['actions/checkout@v4', 'success'], ['actions/setup-node@v4', 'success'], ['npm ci', 'success'], ['Check the goldens', 'failure'],
      ['actions/upload-artifact@v4', 'success'],
    ]);
    expect(fail[3].out).toMatch(/golden mine: run diverged at step 0, field config/);
    expect(fail[3].out).toMatch(/kept: weft-ci\/mine\.diff\.html/);
    expectExplained(join(artifacts, 'weft-goldens'), golden);

    // an install that fails explains nothing (npx would fetch some other "weft" from the registry)
    const broken = checkout('gh-broken');
    rmSync(join(broken, 'package-lock.json'));
    const noInstall = await runGithubJob(broken, join(base, 'gh-broken-artifacts'));
    expect(noInstall.map((s) => s.outcome)).toEqual(['success', 'success', 'failure', 'skipped', 'success']);
    expect(existsSync(join(base, 'gh-broken-artifacts'))).toBe(false);
  });

  it.concurrent('GitLab CI: passes while the golden matches; a changed config value fails the check and keeps what shows why', async () => {
    const pass = await runGitlabJob(checkout('gl-pass'), join(base, 'gl-pass-artifacts'));
    expect(pass.status, pass.script.out).toBe('success');
    expect(pass.script.out).toContain('golden mine: matches bit for bit');
    expect(pass.after.code).toBe(0);
    expect(pass.after.out).toBe('');
    expect(existsSync(join(base, 'gl-pass-artifacts'))).toBe(false);

    const artifacts = join(base, 'gl-fail-artifacts');
    const dir = checkout('gl-fail', "activation: 'relu', dropout: 0.2");
    const fail = await runGitlabJob(dir, artifacts);
    expect(fail.status).toBe('failed');
    expect(fail.script.code).toBe(1); // the check's exit code
    expect(fail.script.out).toMatch(/golden mine: run diverged at step 0, field config/);
    expect(fail.script.out).toMatch(/kept: weft-ci\/mine\.diff\.html/);
    expectExplained(join(artifacts, 'weft-ci'), golden);

    const broken = checkout('gl-broken');
    rmSync(join(broken, 'package-lock.json'));
    const noInstall = await runGitlabJob(broken, join(base, 'gl-broken-artifacts'));
    expect(noInstall.status).toBe('failed');
    expect([noInstall.after.code, noInstall.after.out]).toEqual([0, '']);
    expect(existsSync(join(base, 'gl-broken-artifacts'))).toBe(false);
  });
});

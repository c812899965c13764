import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeOutput } from '../log/output.ts';
import { writeCheckArtifacts } from './artifacts.ts';
import { UsageError } from '../errors.ts';
import { acceptCommand, checkGolden, refuseInCi, updateGolden, type GoldenCheck } from '../golden/check.ts';
import { formatReport } from '../golden/compare.ts';
import { parseCommand } from './args.ts';
import { EXIT } from './errors.ts';
import type { Scenario } from '../engine/scenario.ts';
import { loadScenario, projectScenarioDir, projectScenarioNames, scenarioNames } from '../engine/scenarios.ts';
import { parseShard, shardOf } from '../sweep/plan.ts';

export const SNAPSHOT_USAGE = `weft snapshot check|update [scenario|file.ts…] [--snapshots DIR] [--shard i/n] [--json]
  Golden snapshots of training numerics, one per scenario in snapshots/<scenario>.golden.json
  beside the package.json of the scenario's project (weft's own for its built-in scenarios).
  Each scenario runs on the tiny model for a few steps; loss, lr, gradient norms, clip factor and
  hashes of every parameter tensor, moment and mask are compared bit for bit (unless the golden
  declares a tolerance for a field), and the scenario's expectations are checked.
  check    exit 0 when all match, 1 when one differs or is missing
  update   write goldens anew and print what changed (refused when CI is set)
  (no scenario names: all in your project's scenarios/, or weft's built-ins where there is none)
  --snapshots DIR  keep the goldens in DIR instead (also: WEFT_SNAPSHOT_DIR)
  --artifacts DIR  (check) what shows why a check failed, for a CI job to keep: DIR/check.txt and
               check.json (this output), and per failing scenario the run the check made
               (NAME.weft, NAME.html), the config its golden recorded run by this weft
               (NAME-golden.weft) and the two compared (NAME.diff.txt, NAME.diff.html)
  --shard i/n  only every n-th scenario (in name order) from the i-th: one job of a CI matrix;
               the shards together check each golden once`;

function rel(p: string): string {
  return relative(process.cwd(), p) || p;
}

function describeCheck(c: GoldenCheck, dir: string | undefined): string {
  const lines: string[] = [];
  if (c.status === 'missing') lines.push(`golden ${c.scenario}: missing (${rel(c.file)}); create it with: ${acceptCommand(c, dir)}`);
  else lines.push(formatReport(c.report!, acceptCommand(c, dir)));
  for (const e of c.expectations) if (!e.ok) lines.push(`  expectation failed: ${e.text}${e.error ? ` (${e.error})` : ''}`);
  return lines.join('\n');
}

export async function snapshotCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, { json: { type: 'boolean' }, shard: { type: 'string' }, snapshots: { type: 'string' }, artifacts: { type: 'string' } }, SNAPSHOT_USAGE, null);
  if (!p) return 0;
  const { values, positionals } = p;
  const [verb, ...names] = positionals;
  if (verb !== 'check' && verb !== 'update') throw new UsageError(`expected check or update, got ${JSON.stringify(verb ?? '')}\nusage: ${SNAPSHOT_USAGE.split('\n')[0]}`);
  if (verb === 'update') refuseInCi('update');
  const artifacts = values.artifacts === undefined ? null : String(values.artifacts);
  if (artifacts !== null && verb !== 'check') throw new UsageError('--artifacts: only with snapshot check');
  // what this command prints, kept for --artifacts' check.txt too
  const text: string[] = [];
  const say = (s: string) => {
    text.push(s);
    if (!values.json) process.stdout.write(`${s}\n`);
  };
  let failed = false;
  const results: unknown[] = [];
  const scenarios: Scenario[] = [];
  const shard = values.shard === undefined ? null : parseShard(String(values.shard));
  const dir = values.snapshots === undefined ? undefined : String(values.snapshots);
  const all = projectScenarioDir() ? projectScenarioNames() : scenarioNames();
  if (!names.length && !all.length) throw new UsageError(`no scenarios in ${rel(projectScenarioDir()!)}/ (a scenario is a .ts file there: see weft run --help)`);
  for (const n of shardOf([...(names.length ? names : all)].sort(), shard)) {
    try {
      scenarios.push(await loadScenario(n));
    } catch (e) {
      // one broken scenario file fails the check without hiding the others' results
      if (names.length) throw e;
      failed = true;
      results.push({ scenario: n, status: 'broken', error: (e as Error).message });
      text.push(`broken scenario ${(e as Error).message.split('\n')[0]}`);
      process.stderr.write(`weft snapshot: broken scenario ${(e as Error).message.split('\n')[0]}\n`);
    }
  }
  for (const s of scenarios) {
    if (verb === 'check') {
      const c = checkGolden(s, { dir });
      const bad = c.status !== 'match' || c.expectations.some((e) => !e.ok);
      failed ||= bad;
      results.push({ scenario: s.name, file: s.file ?? null, golden: c.file, status: c.status, report: c.report, expectations: c.expectations });
      say(describeCheck(c, dir));
      if (bad && artifacts) for (const f of writeCheckArtifacts(artifacts, s, c)) say(`  kept: ${rel(f)}`);
    } else {
      const u = updateGolden(s, { dir });
      const failedExpectations = u.expectations.filter((e) => !e.ok);
      failed ||= failedExpectations.length > 0;
      results.push({ scenario: s.name, status: u.status, written: u.written, changed: u.report?.mismatches.length ?? null, expectations: u.expectations });
      if (!values.json) {
        const what = u.status === 'missing' ? 'new golden' : u.status === 'match' ? 'unchanged' : `updated: ${u.report!.mismatches.length} fields changed, first at step ${u.report!.first!.step} (${u.report!.first!.field}${u.report!.first!.layer ? `, ${u.report!.first!.layer}` : ''})`;
        process.stdout.write(`${s.name}: ${what}${u.written ? ` → ${rel(u.file)}` : ''}\n`);
        for (const e of failedExpectations) process.stdout.write(`  expectation failed: ${e.text}${e.error ? ` (${e.error})` : ''}\n`);
      }
    }
  }
  const json = `${JSON.stringify(results, null, 2)}\n`;
  if (values.json) process.stdout.write(json);
  if (artifacts) {
    mkdirSync(artifacts, { recursive: true });
    writeOutput(join(artifacts, 'check.txt'), `${text.join('\n')}\n`, { force: true, inputs: [], flag: '--artifacts' });
    writeOutput(join(artifacts, 'check.json'), json, { force: true, inputs: [], flag: '--artifacts' });
  }
  return failed ? EXIT.differs : EXIT.ok;
}

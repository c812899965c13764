// The README's cluster examples (docs/sweep/): each parses, is in the README word for word, and
// its weft command lines are ones the CLI accepts — run here with --dry-run for every shard
// index the scheduler would give, which together cover every run of the sweep exactly once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, weft } from '../helpers.ts';

const DOCS = join(ROOT, 'docs/sweep');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Runs a `npx weft …` command line (no shell features left in it) with --dry-run: the runs it lists. */
function dryRun(line: string): string[] {
  const argv = line.trim().split(/\s+/);
  expect(argv.slice(0, 3)).toEqual(['npx', 'weft', 'sweep']);
  const r = weft([...argv.slice(2), '--dry-run']);
  expect(r.code, `${line}\n${r.stderr}`).toBe(0);
  return r.stdout.split('\n').slice(1).filter(Boolean).map((l) => l.trim().split(/\s+/)[0]);
}

/** The sweep's whole plan, from the shard command with its --shard taken out. */
function wholePlan(line: string): string[] {
  return dryRun(line.replace(/--shard \S+/, ''));
}

function expectPartition(shards: string[][], whole: string[]): void {
  expect(shards.flat().sort()).toEqual([...whole].sort());
  expect(whole.length).toBeGreaterThan(shards.length);
}

describe('the README’s sweep examples', () => {
  it('a Kubernetes Indexed Job: valid YAML, one shard per completion index', () => {
    const text = readFileSync(join(DOCS, 'kubernetes-job.yaml'), 'utf8');
    expect(README).toContain(text);
    const job = parse(text);
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', spec: { completionMode: 'Indexed' } });
    const n = job.spec.completions as number;
    const [sh, flag, command] = job.spec.template.spec.containers[0].command as string[];
    expect([sh, flag]).toEqual(['sh', '-c']);
    expect(command).toContain(`--shard $((JOB_COMPLETION_INDEX + 1))/${n}`);
    // what sh makes of it for each index Kubernetes hands out
    const shards = Array.from({ length: n }, (_, i) => dryRun(command.replace('$((JOB_COMPLETION_INDEX + 1))', String(i + 1)).replaceAll('$JOB_COMPLETION_INDEX', String(i))));
    expectPartition(shards, wholePlan(command.replace('$((JOB_COMPLETION_INDEX + 1))', '1').replaceAll('$JOB_COMPLETION_INDEX', '0')));
  });

  it('a GitHub Actions matrix: valid YAML, one shard per matrix entry, then merge and report', () => {
    const text = readFileSync(join(DOCS, 'github-actions.yml'), 'utf8');
    expect(README).toContain(text);
    const wf = parse(text);
    const entries = wf.jobs.shard.strategy.matrix.shard as number[];
    const run = (wf.jobs.shard.steps as { run?: string }[]).map((s) => s.run).find((r) => r?.includes('weft sweep'))!;
    const shards = entries.map((i) => dryRun(run.replaceAll('${{ matrix.shard }}', String(i))));
    expectPartition(shards, wholePlan(run.replaceAll('${{ matrix.shard }}', '1')));
    const merge = (wf.jobs.merge.steps as { run?: string }[]).map((s) => s.run).filter((r): r is string => Boolean(r?.includes('weft sweep')));
    expect(merge[0]).toBe(`npx weft sweep merge ${entries.map((i) => `shards/sweep-${i}`).join(' ')} --out sweep`);
    expect(merge[1]).toMatch(/^npx weft sweep report sweep --html sweep\/report\.html$/);
    expect(wf.jobs.merge.needs).toBe('shard');
  });

  it('a Slurm job array: one shard per array task', () => {
    const text = readFileSync(join(DOCS, 'slurm.sh'), 'utf8');
    expect(README).toContain(text);
    const array = /#SBATCH --array=(\d+)-(\d+)/.exec(text)!;
    const line = text.split('\n').find((l) => l.startsWith('npx weft sweep'))!;
    const ids = Array.from({ length: Number(array[2]) - Number(array[1]) + 1 }, (_, i) => Number(array[1]) + i);
    expect(line).toContain(`--shard \${SLURM_ARRAY_TASK_ID}/${ids.length}`);
    const shards = ids.map((i) => dryRun(line.replaceAll('${SLURM_ARRAY_TASK_ID}', String(i))));
    expectPartition(shards, wholePlan(line.replaceAll('${SLURM_ARRAY_TASK_ID}', '1')));
  });
});

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { WeftConfig } from '../config/config.ts';
import { runTraining } from '../engine/run.ts';
import type { Scenario } from '../engine/scenario.ts';
import { Trainer } from '../engine/trainer.ts';
import { diff } from '../diff/diff.ts';
import { goldenConfig } from '../golden/capture.ts';
import type { GoldenCheck } from '../golden/check.ts';
import { readGolden } from '../golden/store.ts';
import { writeOutput, type OutputRule } from '../log/output.ts';
import { openLog } from '../log/reader.ts';
import { Recorder } from '../engine/recorder.ts';
import { diffReportHtml, runReportHtml } from '../report/html.ts';
import { formatDiff } from './diff.ts';

/** `--artifacts DIR` is weft's folder: what it holds from an earlier check is replaced. */
const OWN: OutputRule = { force: true, inputs: [], flag: '--artifacts' };

/** Trains a config into a log (summary recording: the check's own policy) and its HTML report beside it. */
function recordRun(path: string, name: string, config: WeftConfig): void {
  const t = new Trainer(config);
  const rec = Recorder.create(path, name, config, t, { overwrite: true });
  rec.finish(runTraining(t, config.steps, [rec]), t);
  const log = openLog(path);
  try {
    writeOutput(path.replace(/\.weft$/, '.html'), runReportHtml(log), OWN);
  } finally {
    log.close();
  }
}

/**
 * What shows why a golden check failed, for a CI job to keep (`weft snapshot check --artifacts
 * DIR`): the run the check made (`NAME.weft`, `NAME.html`) and, when the golden exists, the config
 * it recorded run by this weft (`NAME-golden.weft`) and the two compared (`NAME.diff.txt`,
 * `NAME.diff.html`). When the two runs are identical, the config is unchanged and the numbers
 * moved with the code or the data. Returns the files written.
 */
export function writeCheckArtifacts(dir: string, s: Scenario, c: GoldenCheck): string[] {
  mkdirSync(dir, { recursive: true });
  const now = join(dir, `${s.name}.weft`);
  recordRun(now, s.name, goldenConfig(s));
  const files = [now, now.replace(/\.weft$/, '.html')];
  const golden = c.status === 'missing' ? null : readGolden(c.file);
  if (!golden) return files;
  const then = join(dir, `${s.name}-golden.weft`);
  recordRun(then, s.name, golden.config);
  const a = openLog(then);
  const b = openLog(now);
  try {
    const r = diff(a, b);
    writeOutput(join(dir, `${s.name}.diff.txt`), `${formatDiff(r)}\n`, OWN);
    writeOutput(join(dir, `${s.name}.diff.html`), diffReportHtml(a, b, r), OWN);
  } finally {
    a.close();
    b.close();
  }
  return [...files, then, then.replace(/\.weft$/, '.html'), join(dir, `${s.name}.diff.txt`), join(dir, `${s.name}.diff.html`)];
}

// The shortened variant of the two papers' scenarios (issue 26) that the determinism and runtimes
// tests compare bytes of: the tiny model of their goldens, 2 steps, their own recording and
// evaluations — the log `weft run <name> --model tiny --steps 2` writes.
import { Recorder } from '../../src/engine/recorder.ts';
import { runTraining } from '../../src/engine/run.ts';
import { Trainer, type TrainerOptions } from '../../src/engine/trainer.ts';
import { tinyConfig } from '../helpers.ts';

export const PAPER_SCENARIOS = ['grokking', 'induction'];
export const PAPER_STEPS = 2;

/** Records `name`'s shortened variant into `path`, in this process, on the given kernels. */
export async function recordPaperScenario(name: string, path: string, opts: TrainerOptions = {}): Promise<void> {
  const cfg = await tinyConfig(name, PAPER_STEPS);
  const t = new Trainer(cfg, opts);
  const rec = Recorder.create(path, name, cfg, t);
  rec.finish(runTraining(t, cfg.steps, [rec]), t);
}

import type { Evaluation } from '../log/evals.ts';
import { DEFAULT_CONFIG, mergeConfig, validateConfig, type DeepPartial, type WeftConfig } from '../config/config.ts';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.ts';
import type { Anomaly } from './trainer.ts';

/**
 * A trained run's per-step figures as a scenario's expectations read them (the goldens build one
 * from the golden run: golden/capture.ts).
 */
export interface ScenarioRun {
  lastStep: number;
  anomaly: Anomaly | null;
  loss(step: number): number;
  /** gradient L2 norm of a layer group: 0 = emb, 1…L = layers, L+1 = head; 'last' = layer L */
  gradNorm(step: number, layer: number | 'last' | 'head' | 'global'): number;
  clipFactor(step: number): number;
  /** fraction of activations the dropout masks kept at a step; null without dropout */
  maskKeptFraction(step: number): number | null;
  /**
   * L2 norm of a layer group's parameters after a step (groups as gradNorm; 'global' = all of
   * them); null for a step read back from a log when a run resumes (the log holds no such norm)
   */
  paramNorm(step: number, layer: number | 'last' | 'head' | 'global'): number | null;
  /** the held-out evaluations, in step order (config.eval; empty without it) */
  evaluations: readonly Evaluation[];
}

/**
 * Something a scenario must show, checked with its golden run (tiny model): a sentence for
 * people and a check on the run's per-step figures.
 */
export interface Expectation {
  text: string;
  check: (run: ScenarioRun) => boolean;
  /**
   * The step a run must reach for the check to say anything (a claim about step 600): a shorter
   * run — the golden's 24 steps, `--steps 50` — reports it as not checked, never as holding.
   */
  from?: number;
}

export interface ScenarioSpec {
  /** File-name-like: lower case, digits and dashes. */
  name: string;
  /** One or two sentences a learner reads before running it. */
  description: string;
  /** Overrides of DEFAULT_CONFIG. */
  config: DeepPartial<WeftConfig>;
  /** What the scenario must show, checked with its golden. */
  expectations?: Expectation[];
}

export interface Scenario {
  name: string;
  description: string;
  config: WeftConfig;
  expectations: Expectation[];
  /** the file that declared it (absolute), when known: its golden lives beside that file's project */
  file?: string | null;
}

/** This module's own file (source or compiled), whose frames are not the caller's. */
const SELF = fileURLToPath(import.meta.url);

/** The file that called defineScenario (absolute), from the call stack. */
function callerFile(): string | null {
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  for (const f of frames) {
    const m = /(file:\/\/[^\s)]+?|\/[^\s):]+?)(?::\d+){1,2}\)?$/.exec(f.trim());
    if (!m) continue;
    const path = m[1].startsWith('file://') ? fileURLToPath(m[1]) : m[1];
    if (path !== SELF) return path;
  }
  return null;
}

/**
 * Declares a scenario; its config is merged over the defaults and validated (ajv) at once. A
 * bad config is a ConfigError naming the scenario file and the field.
 */
export function defineScenario(spec: ScenarioSpec): Scenario {
  const file = callerFile();
  try {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(spec.name)) throw new ConfigError('name', `must be lower case letters, digits and dashes, got ${JSON.stringify(spec.name)}`);
    const config = validateConfig(mergeConfig(DEFAULT_CONFIG, spec.config));
    return { name: spec.name, description: spec.description, config, expectations: spec.expectations ?? [], file };
  } catch (e) {
    if (!(e instanceof ConfigError) || e.file) throw e;
    const err = new ConfigError(e.path, e.reason, file ? relative(process.cwd(), file) || file : null);
    // run as a script (`npx tsx scenarios/x.ts`), fail as the CLI does: one line and exit 2, where
    // an error thrown while the module loads would print a stack trace and exit 1
    if (file && process.argv[1] && resolve(file) === resolve(process.argv[1])) {
      process.stderr.write(`weft run: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

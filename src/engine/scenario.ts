import { DEFAULT_CONFIG, mergeConfig, validateConfig, type DeepPartial, type WeftConfig } from './config.ts';
import { ConfigError } from './errors.ts';

/**
 * Something a scenario must show, checked with its golden run (tiny model): a sentence for
 * people and a check on the run's per-step figures. The run type lives in golden/capture.ts.
 */
export interface Expectation<Run = import('../golden/capture.ts').GoldenRun> {
  text: string;
  check: (run: Run) => boolean;
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
}

/** Declares a scenario; its config is merged over the defaults and validated (ajv) at once. */
export function defineScenario(spec: ScenarioSpec): Scenario {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(spec.name)) throw new ConfigError('name', `must be lower case letters, digits and dashes, got ${JSON.stringify(spec.name)}`);
  const config = validateConfig(mergeConfig(DEFAULT_CONFIG, spec.config));
  return { name: spec.name, description: spec.description, config, expectations: spec.expectations ?? [] };
}

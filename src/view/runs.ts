import { basename } from 'node:path';
import { STORY_SENTENCES } from '../data/story.ts';
import type { LogReader } from '../log/reader.ts';
import { openLog } from '../log/reader.ts';
import { describeRun, evalSeries, readSeries } from '../report/series.ts';
import type { Evaluation } from '../log/evals.ts';
import type { StepCache } from './step.ts';
import { Checkpoints } from './checkpoints.ts';
import { layerMetrics } from './layers.ts';
import { openEndProblem, problemOf, stepsReadable } from './problems.ts';
import type { CompletionsView, LayerMetrics, Overview, PatternsView, Problem, RunInfo, TracksView } from './types.ts';
import { HEAD_PATTERNS, trackLink, trackPattern } from '../replay/track.ts';
import { completionTracks } from '../replay/completions.ts';

/** The story's sentence the attention view starts from: the scientists, their findings, they. */
export const STORY_SENTENCE = STORY_SENTENCES.find((s) => /\bthey\b/i.test(s) && /scientists/i.test(s)) ?? STORY_SENTENCES[0];

/**
 * One log the viewer serves, by id: opened once (header, index or frame scan); what is read from
 * it later — the overview, the layer metrics, states and a trainer for the drill-downs — is kept.
 */
export class ViewedRun {
  readonly id: number;
  readonly path: string;
  readonly log: LogReader | null;
  /** why the log could not be opened */
  readonly openProblem: Problem | null;
  private overviewCached: Overview | null = null;
  private layersPending: Promise<LayerMetrics> | null = null;
  /** what drill-downs keep between requests (view/step.ts) */
  private stepCache: StepCache | null = null;
  private tracksCached: TracksView | null = null;
  private completionsCached: CompletionsView | null = null;
  private patternsCached: PatternsView | null = null;
  /** memory for states kept in between requests (view/checkpoints.ts) */
  private readonly budgetBytes: number;
  private readonly closing = new AbortController();

  constructor(id: number, path: string, budgetBytes: number) {
    this.id = id;
    this.budgetBytes = budgetBytes;
    this.path = path;
    let log: LogReader | null = null;
    let problem: Problem | null = null;
    try {
      log = openLog(path);
    } catch (e) {
      problem = problemOf(e, 'nothing can be shown');
    }
    this.log = log;
    this.openProblem = problem;
  }

  info(): RunInfo {
    const log = this.log;
    const name = basename(this.path);
    if (!log) return { id: this.id, name, description: '', problem: this.openProblem, meta: null };
    const h = log.header;
    const m = h.config.model;
    return {
      id: this.id,
      name,
      description: describeRun(log),
      problem: this.overviewCached?.problem ?? openEndProblem(log),
      meta: {
        scenario: h.scenario, mode: h.mode, firstStep: log.firstStep, lastStep: log.lastStep, startStep: h.startStep,
        nLayers: m.nLayers, nHeads: m.nHeads, hasWords: h.vocab !== null && h.vocab !== undefined,
        defaultSentence: h.vocab ? STORY_SENTENCE : null, clipMaxNorm: h.config.clip.maxNorm,
      },
    };
  }

  /**
   * The per-step scalars of every readable step, and the problem, if any: every record is read
   * and its checksum checked, so a damaged one is named (with its offset) here, not later.
   */
  overview(): Overview {
    if (this.overviewCached) return this.overviewCached;
    const log = this.log;
    if (!log) throw new Error('overview of a log that did not open');
    // the steps before a damaged record are still shown
    const { series, damage } = readSeries(log);
    const readable = series.steps;
    let problem: Problem | null = damage ? problemOf(damage, stepsReadable(readable)) : null;
    let anomalies: Overview['anomalies'] = [];
    let evals: Evaluation[] = [];
    try {
      anomalies = log.readAnomalies().map(({ step, stage, tensor, index }) => ({ step, stage, tensor, index }));
      // the evaluations up to the last readable step, as the step charts end there
      const lastReadable = readable.length ? readable[readable.length - 1] : log.header.startStep;
      evals = log.readEvals().filter((e) => e.step <= lastReadable);
      for (const k of log.keyframeSteps) log.readKeyframe(k);
      log.readEnd();
    } catch (e) {
      problem ??= problemOf(e, `${stepsReadable(readable)}; a state may not be rebuilt past the damage`);
    }
    problem ??= openEndProblem(log);
    const evaluations = evalSeries(evals);
    this.overviewCached = { id: this.id, series, anomalies, keyframes: log.keyframeSteps, problem, ...(evaluations ? { evaluations } : {}) };
    return this.overviewCached;
  }

  /** The tracked links of a log with probes (config.probe.links), read once. */
  tracks(): TracksView {
    if (this.tracksCached) return this.tracksCached;
    const log = this.log!;
    const out: TracksView = { id: this.id, links: [], problems: [] };
    if (log.probeFrames.length) {
      for (const link of log.header.config.probe?.links ?? []) {
        try {
          out.links.push(trackLink(log, link));
        } catch (e) {
          out.problems.push(problemOf(e, '').message);
        }
      }
    }
    this.tracksCached = out;
    return out;
  }

  /**
   * The heads' scores for the named patterns through training, on a run of the induction task
   * (none for others: on the story the links say more, and scoring replays the log), read once:
   * at the keyframes of a summary log (a point each, no re-execution between them), else at
   * about 100 steps.
   */
  patterns(): PatternsView {
    if (this.patternsCached) return this.patternsCached;
    const log = this.log!;
    const out: PatternsView = { id: this.id, patterns: [], problems: [] };
    if (log.header.config.data.kind === 'induction' && log.lastStep > log.header.startStep) {
      const every = log.header.mode === 'summary' && log.keyframeSteps.length > 2 ? log.keyframeSteps[1] - log.keyframeSteps[0] : undefined;
      for (const pattern of HEAD_PATTERNS) {
        try {
          out.patterns.push(trackPattern(log, pattern, every ? { every } : {}));
        } catch (e) {
          out.problems.push(problemOf(e, '').message);
        }
      }
    }
    this.patternsCached = out;
    return out;
  }

  /** The completion probes of a log recorded with config.probe.prompts (none otherwise), read once. */
  completions(): CompletionsView {
    const log = this.log!;
    this.completionsCached ??= { id: this.id, prompts: log.header.config.probe?.prompts?.length && log.probeFrames.length ? completionTracks(log) : [] };
    return this.completionsCached;
  }

  /** The drill-down's cache, made on first use. */
  steps(): StepCache {
    this.stepCache ??= { trainer: null, states: new Checkpoints(this.log!, this.budgetBytes) };
    return this.stepCache;
  }

  /**
   * The layer metrics, computed once by a walk over the log's states (which also keeps states
   * for the drill-downs): started by the first overview, in the background.
   */
  layers(): Promise<LayerMetrics> {
    this.layersPending ??= layerMetrics(this.id, this.log!, this.overview().series, this.steps().states, this.closing.signal);
    return this.layersPending;
  }

  close(): void {
    this.closing.abort(); // a walk in progress stops before it reads again
    this.log?.close();
  }
}

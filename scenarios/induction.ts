import { defineScenario, runIfMain } from '../src/index.ts';
import type { ScenarioRun } from '../src/index.ts';

type Evaluation = ScenarioRun['evaluations'][number];

const STEPS = 500;
/** The repeated part's loss before anything is learnt: a guess among the 64 tokens, ln 64. */
const CHANCE_LOSS = Math.log(64);
/** Below this the repeats are predicted by induction: a model that only knows "one of the tokens seen before" stays near ln n ≥ ln 8 = 2.08 (the 1-layer ablation: 2.8). */
const INDUCED_LOSS = 0.5;
const PHASE_WINDOW_STEPS = 100;
/** Checks of the phase change are made on runs that reach it. */
const PHASE_BY_STEP = 400;

const firstBelow = (evals: readonly Evaluation[], loss: number): Evaluation | undefined => evals.find((e) => e.heldOut.loss < loss);

/**
 * The induction-head phase change (Elhage et al. 2021; Olsson et al. 2022) on their toy: a
 * 2-layer attention-only transformer (model.mlp false) on runs of random tokens repeated within
 * the context. The held-out sequences count only the repeated part, so an evaluation's held-out
 * loss is the in-context-learning measure. It sits near ln 64 for 200 steps, then falls to
 * below 0.5 within 100 steps — as layer-2 heads become induction heads (attention from a token
 * to the one after its earlier occurrence: `weft attention LOG --track induction`) and layer-1
 * heads previous-token heads (`--track previous-token`). The 1-layer ablation
 * (`--set model.nLayers=1`) cannot compose the two and stays near 2.8.
 */
const scenario = defineScenario({
  name: 'induction',
  description: 'Induction heads: a 2-layer attention-only model on random token runs repeated in the context. The loss on the repeats (held-out) stays near chance, then drops sharply within ~100 steps as layer-2 heads learn to attend to the token after the current token\'s earlier occurrence (weft attention LOG --track induction).',
  config: {
    steps: STEPS,
    // Elhage/Olsson's toy: attention only; a context of 32 lets runs of 8…17 tokens repeat
    model: { nLayers: 2, nHeads: 4, dModel: 64, vocabSize: 64, contextLength: 32, dropout: 0, mlp: false },
    optim: { kind: 'adam', lr: 1e-3 },
    // 2,048 sequences (⌊65,536 / 32⌋), 64 of them held out
    data: { kind: 'induction', batchSize: 32, trainFraction: 0.96875 },
    eval: { every: 25, batches: 0 },
    // keyframes every 25 steps: `--track induction` replays to its points from the nearest
    record: { mode: 'summary', keyframeEvery: 25 },
  },
  expectations: [
    {
      text: `before training the repeats are not predicted: the held-out (repeated-part) loss at step 0 is within 0.1 of ln 64 = ${CHANCE_LOSS.toFixed(2)}`,
      check: (r) => r.evaluations.length > 0 && r.evaluations[0].step === 0 && Math.abs(r.evaluations[0].heldOut.loss - CHANCE_LOSS) < 0.1,
    },
    {
      text: `the phase change: the held-out loss goes from above 3 to below ${INDUCED_LOSS} within ${PHASE_WINDOW_STEPS} steps, by step ${PHASE_BY_STEP}`,
      from: PHASE_BY_STEP,
      check: (r) => {
        const last3 = [...r.evaluations].reverse().find((e) => e.step <= (firstBelow(r.evaluations, INDUCED_LOSS)?.step ?? -1) && e.heldOut.loss > 3);
        const induced = firstBelow(r.evaluations, INDUCED_LOSS);
        return !!induced && !!last3 && induced.step <= PHASE_BY_STEP && induced.step - last3.step <= PHASE_WINDOW_STEPS;
      },
    },
    {
      text: `the repeats stay learnt: the last held-out loss is below ${INDUCED_LOSS}`,
      from: PHASE_BY_STEP,
      check: (r) => r.evaluations[r.evaluations.length - 1].heldOut.loss < INDUCED_LOSS,
    },
  ],
});

export default scenario;
export { CHANCE_LOSS, INDUCED_LOSS, PHASE_BY_STEP, PHASE_WINDOW_STEPS };
await runIfMain(import.meta.url, scenario);

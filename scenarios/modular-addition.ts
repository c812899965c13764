import { defineScenario, runIfMain } from '../src/index.ts';

const P = 23;
const MEMORISED_BY_STEP = 600;

/**
 * a + b mod 23, the grokking papers' task, on a 2-layer model: every sequence is `a + b =` and
 * its answer, and only the answer's loss counts (a and b are drawn at random: nothing can
 * predict them). Half of the 529 pairs train, half are held out (data.trainFraction). In 600
 * steps the model memorises its pairs without learning addition: the held-out pairs stay near
 * chance (tests/engine/modular.test.ts evaluates both splits). Grokking — the held-out pairs
 * learnt long after — takes weight decay and far more steps.
 */
const scenario = defineScenario({
  name: 'modular-addition',
  description: `a + b mod ${P} with the loss on the answer only, half the pairs held out: in ${MEMORISED_BY_STEP} steps a 2-layer model memorises its pairs and does not generalise.`,
  config: {
    steps: MEMORISED_BY_STEP,
    // the examples fill 4 positions (a + b =); any longer context pads them, pad targets ignored
    model: { nLayers: 2, nHeads: 4, dModel: 32, dFF: 128, contextLength: 4, dropout: 0 },
    optim: { kind: 'adam', lr: 0.01 },
    data: { kind: 'modular', p: P, trainFraction: 0.5, batchSize: 64 },
  },
  expectations: [
    {
      text: `by step 24 the model has learnt that an answer is one of the ${P} numbers and no more: the loss is within 0.1 of ln ${P} = 3.14 (a loss over every position — +, b and = too — would head for half of it: b is random, + and = are given)`,
      check: (r) => Math.abs(r.loss(24) - Math.log(P)) < 0.1,
    },
    {
      text: `by step ${MEMORISED_BY_STEP} the training pairs are memorised: the answer's loss is below 0.05`,
      from: MEMORISED_BY_STEP,
      check: (r) => r.loss(MEMORISED_BY_STEP) < 0.05,
    },
  ],
});

export default scenario;
export { MEMORISED_BY_STEP, P };
await runIfMain(import.meta.url, scenario);

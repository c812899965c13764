import { defineScenario, runIfMain } from '../src/index.ts';

/** The evaluation whose held-out loss is lowest (the first, on a tie). */
const lowest = <E extends { heldOut: { loss: number } }>(evals: readonly E[]): E => evals.reduce((best, e) => (e.heldOut.loss < best.heldOut.loss ? e : best));

const scenario = defineScenario({
  name: 'overfit',
  description: 'A model that can memorize its data: a quarter of the story held out, no dropout, a high learning rate. The training loss keeps falling while the held-out loss turns up — the model learns its training windows, not the language.',
  config: {
    steps: 60,
    model: { nLayers: 2, nHeads: 4, dModel: 32, dFF: 128, vocabSize: 64, contextLength: 16, dropout: 0 },
    optim: { lr: 0.01 },
    data: { sentences: 30, batchSize: 16, trainFraction: 0.75 },
    eval: { every: 4, batches: 0 },
  },
  expectations: [
    {
      text: 'the training loss keeps falling: lower at every evaluation than at the one before',
      check: (r) => r.evaluations.length > 2 && r.evaluations.every((e, i) => i === 0 || e.train.loss < r.evaluations[i - 1].train.loss),
    },
    {
      text: 'the held-out loss turns up: its lowest is before the last evaluation, and it ends above it',
      check: (r) => {
        const best = lowest(r.evaluations);
        const last = r.evaluations[r.evaluations.length - 1];
        return best.step < last.step && last.heldOut.loss > best.heldOut.loss;
      },
    },
    { text: 'it turns at step 20 (held-out loss 2.23, training 1.08)', check: (r) => lowest(r.evaluations).step === 20 },
  ],
});

export default scenario;
await runIfMain(import.meta.url, scenario);

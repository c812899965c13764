import { defineScenario, runIfMain } from '../src/index.ts';

const scenario = defineScenario({
  name: 'bench',
  description: 'fabric-bench: the story\'s model on uniform random tokens (V 64, batch 8, dropout 0.1, Adam 1e-3, clip 1.0), for measuring speed.',
  config: {
    steps: 20,
    model: { vocabSize: 64 },
    data: { corpus: 'random', batchSize: 8 },
    optim: { kind: 'adam', lr: 1e-3 },
    clip: { maxNorm: 1 },
  },
  expectations: [
    {
      text: 'uniform random tokens hold nothing to learn: every step’s loss stays within 0.1 of ln 64',
      check: (r) => Array.from({ length: r.lastStep }, (_, i) => r.loss(i + 1)).every((l) => Math.abs(l - Math.log(64)) < 0.1),
    },
  ],
});

export default scenario;
await runIfMain(import.meta.url, scenario);

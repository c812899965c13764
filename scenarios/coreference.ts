import { defineScenario, runIfMain } from '../src/index.ts';

/**
 * The story's question: does a head learn to tie "they" to "scientists" and "her" to
 * "professor"? Attention probes on the story's sentences every 25 steps record where every head
 * looks as training goes (weft attention <log> --track "they->scientists").
 */
const scenario = defineScenario({
  name: 'coreference',
  description: 'The story\'s model learning the story corpus for 800 steps, its attention probed every 25 steps: watch a head tie "they" to "scientists" (weft attention --track).',
  // no dropout: a head's pattern is the same from step to step; summary recording keeps the log
  // small (the probes are what this run is for), keyframes every 100 steps bound any replay
  config: {
    steps: 800,
    model: { dropout: 0 },
    record: { mode: 'summary', keyframeEvery: 100 },
    probe: { every: 25 },
  },
  expectations: [
    { text: 'the loss falls: lower at the last step than at step 1', check: (r) => r.loss(r.lastStep) < r.loss(1) },
  ],
});

/**
 * What the run shows, in words, each checked (tests/engine/coreference.test.ts) on the first
 * `steps` steps — the same steps as the full run's: the learning rate does not depend on the run's length.
 */
export const LINKS_FORM = [
  { text: 'by step 200 some head ties "they" to "scientists" above 0.5', link: 'they->scientists', steps: 200 },
  { text: 'by step 200 some head ties "her" to "professor" above 0.5', link: 'her->professor', steps: 200 },
];

export default scenario;
await runIfMain(import.meta.url, scenario);

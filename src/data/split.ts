import { ConfigError } from '../errors.ts';
import { keyedStream } from '../rng/keyed.ts';

/** Example indexes, ascending, on each side of the split. */
export interface Split {
  train: Uint32Array;
  heldOut: Uint32Array;
}

/**
 * Which examples train and which are held out: ⌊trainFraction · examples⌋ train, the rest are
 * held out, chosen by a shuffle from stream `data/split` of the data's own seed (corpusSeed),
 * so that runs of every seed hold out the same examples and their held-out figures compare.
 * trainFraction 1 holds none out and draws nothing: every example trains, as before the split.
 */
export function splitExamples(examples: number, trainFraction: number, corpusSeed: number, what: string): Split {
  const all = new Uint32Array(examples);
  for (let i = 0; i < examples; i++) all[i] = i;
  if (trainFraction === 1) return { train: all, heldOut: new Uint32Array(0) };
  const nTrain = Math.floor(trainFraction * examples);
  if (nTrain < 1) throw new ConfigError('data.trainFraction', `${trainFraction} × ${examples} examples (the ${what}) trains none`);
  const r = keyedStream(corpusSeed, 'data/split');
  for (let i = all.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  return { train: all.slice(0, nTrain).sort(), heldOut: all.slice(nTrain).sort() };
}

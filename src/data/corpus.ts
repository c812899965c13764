import { ConfigError } from '../errors.ts';
import { windowCount, writeWindow } from './windows.ts';
import { keyedStream } from '../rng/keyed.ts';
import { storyCorpusText } from './story.ts';
import type { Task, TaskKind } from './task.ts';
import { Tokenizer } from './tokenizer.ts';

/**
 * Language modelling on one of weft's corpora (`data.corpus`): the story's sentences, word by
 * word (V from its words when the model says 0, the rarest as <unk> under a cap), or uniform
 * random tokens. The token stream is cut into non-overlapping windows of T+1 tokens — example i
 * is window i — and every next-token target counts.
 */
export const corpus: TaskKind = {
  kind: 'corpus',
  describe: (d) => `${d.corpus} corpus`,
  words: (d) => d.corpus === 'story',
  check(d, m) {
    if (d.corpus === 'random' && m.vocabSize < 2) throw new ConfigError('model.vocabSize', 'must be at least 2 for the random corpus');
  },
  build(d, m): Task {
    const T = m.contextLength;
    let tokens: Int32Array;
    let tokenizer: Tokenizer | null = null;
    let vocabSize = m.vocabSize;
    if (d.corpus === 'story') {
      const texts = storyCorpusText(d.corpusSeed, d.sentences);
      const tok = Tokenizer.fromTexts(texts, m.vocabSize);
      tokenizer = tok;
      if (vocabSize === 0) vocabSize = tok.size;
      tokens = Int32Array.from(texts.flatMap((t) => tok.encode(t)));
    } else {
      const r = keyedStream(d.corpusSeed, 'data/random');
      tokens = new Int32Array(d.randomTokens);
      for (let i = 0; i < tokens.length; i++) tokens[i] = r.int(m.vocabSize);
    }
    const windows = windowCount(tokens, T);
    if (windows < 1) throw new ConfigError('model.contextLength', `${T} needs windows of ${T + 1} tokens; the ${d.corpus} corpus has ${tokens.length}`);
    return {
      vocabSize,
      vocabulary: tokenizer ? tokenizer.vocab : null,
      tokenizer,
      examples: windows,
      oneAnswer: false,
      write: (i, inputs, targets) => writeWindow(tokens, T, i, inputs, targets),
    };
  },
};

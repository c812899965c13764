import { UsageError } from '../engine/errors.ts';
import { GPT } from '../model/gpt.ts';
import { referenceKernels } from '../kernels/reference.ts';
import { Tokenizer } from '../data/tokenizer.ts';
import { openLog } from '../log/reader.ts';
import { stateAt } from '../replay/state.ts';
import { intFlag, parseCommand } from './args.ts';
import { stepArg } from './replay.ts';

export const ATTENTION_USAGE = `weft attention <log.weft> [--step N] [--layer L] [--head H] [--sentence TEXT] [--json]
  Shows where one attention head looks, after step N, on a sentence: for each word, the words
  before it it attends to (causal), as a shaded grid and its strongest link.
  --step N         the step (default: the last)
  --layer L        1…nLayers, as in summaries (default 4: the story's Layer 4, or the last)
  --head H         0…nHeads−1 (head h owns columns h·hd… of q, k and v; default 7, or the last)
  --sentence TEXT  default "The cat chased the dog because it was fast"`;

const SHADES = ' ░▒▓█';

export async function attentionCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, { step: { type: 'string' }, layer: { type: 'string' }, head: { type: 'string' }, sentence: { type: 'string' }, json: { type: 'boolean' } }, ATTENTION_USAGE, { count: 1, what: 'one log file' });
  if (!p) return 0;
  const { values, positionals } = p;
  const log = openLog(positionals[0]);
  try {
    const h = log.header;
    const m = { ...h.config.model, vocabSize: h.vocabSize };
    if (!h.vocab) throw new UsageError(`${log.path}: a run on the ${h.config.data.corpus} corpus has no words to show`);
    const step = values.step === undefined ? log.lastStep : stepArg(values.step, '--step', log);
    const layer = intFlag(values.layer, '--layer', 1) ?? Math.min(4, m.nLayers);
    const head = intFlag(values.head, '--head', 0) ?? Math.min(7, m.nHeads - 1);
    if (layer > m.nLayers) throw new UsageError(`--layer ${layer}: the model has layers 1…${m.nLayers}`);
    if (head >= m.nHeads) throw new UsageError(`--head ${head}: the model has heads 0…${m.nHeads - 1}`);
    const tok = new Tokenizer(h.vocab);
    const sentence = String(values.sentence ?? 'The cat chased the dog because it was fast');
    const ids = tok.encode(sentence).slice(0, m.contextLength);
    if (ids.length < 2) throw new UsageError('--sentence: at least two words are needed');
    const words = ids.map((i) => tok.vocab[i]);
    const s = stateAt(log, step);
    const model = new GPT(m, referenceKernels, h.dtype, 1, ids.length);
    model.params.set(s.params);
    const inputs = Int32Array.from(ids);
    model.forward(inputs, inputs, null); // targets are irrelevant here: only the attention is read
    const T = ids.length;
    const att = model.attentionWeights(layer - 1, head);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ step, layer, head, words, attention: words.map((_, q) => Array.from(att.subarray(q * T, q * T + q + 1))) }, null, 2)}\n`);
      return 0;
    }
    const w = Math.max(...words.map((x) => x.length), 5);
    const lines = [`layer ${layer}, head ${head}, after step ${step} (each row attends to earlier words; shade relative to the row's strongest link)`];
    lines.push(`${''.padEnd(w)}  ${words.map((x) => x.slice(0, 3).padEnd(3)).join(' ')}   strongest`);
    for (let q = 0; q < T; q++) {
      const row = att.subarray(q * T, q * T + T);
      let best = 0;
      for (let k = 1; k <= q; k++) if (row[k] > row[best]) best = k;
      const cells = words.map((_, k) => (k > q ? '   ' : SHADES[Math.round((4 * row[k]) / row[best])].repeat(3))).join(' ');
      lines.push(`${words[q].padEnd(w)}  ${cells}   ${words[best]} ${(row[best] * 100).toFixed(0)}%`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    log.close();
  }
}

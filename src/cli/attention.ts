import { UsageError } from '../errors.ts';
import { UNK } from '../data/tokenizer.ts';
import { openLog } from '../log/reader.ts';
import { attentionAt } from '../replay/attention.ts';
import { intFlag, parseCommand } from './args.ts';
import { stepArg } from './replay.ts';

export const ATTENTION_USAGE = `weft attention <log.weft> [--step N] [--layer L] [--head H] [--sentence TEXT] [--json]
  Shows where one attention head looks, after step N, on a sentence: for each word, how much of
  its attention goes to each word before it (causal), in percent, shaded on one scale for all
  rows (░ from 10%, ▒ from 30%, ▓ from 50%, █ from 70%), and its strongest link.
  --step N         the step (default: the last)
  --layer L        1…nLayers, as in summaries (default 4: the story's Layer 4, or the last)
  --head H         1…nHeads (head h owns columns (h−1)·hd… of q, k and v; default 7: the
                   story's Head #7, or the last)
  --sentence TEXT  default "The cat chased the dog because it was fast"`;

/** Absolute shading: the same share of attention looks the same in every row and every head. */
function shade(w: number): string {
  return w >= 0.7 ? '█' : w >= 0.5 ? '▓' : w >= 0.3 ? '▒' : w >= 0.1 ? '░' : ' ';
}

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
    const head = intFlag(values.head, '--head', 1) ?? Math.min(7, m.nHeads);
    const g = attentionAt(log, step, layer - 1, head - 1, String(values.sentence ?? 'The cat chased the dog because it was fast'));
    const { typed, words, unknown } = g;
    const T = words.length;
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ step, layer, head, words, unknown, attention: g.attention }, null, 2)}\n`);
      return 0;
    }
    // rows name each word in full with its position; columns are positions, so that "the",
    // "they" and "their" never share a label
    const label = (k: number) => `${String(k + 1).padStart(2)} ${typed[k] === words[k] ? words[k] : `${typed[k]} (${words[k]})`}`;
    const w = Math.max(...words.map((_, k) => label(k).length));
    const lines = [`layer ${layer}, head ${head}, after step ${step}: % of each word's attention on the words up to it`];
    lines.push(`${''.padEnd(w)}  ${words.map((_, k) => String(k + 1).padStart(5)).join('')}   strongest`);
    for (let q = 0; q < T; q++) {
      const row = g.attention[q];
      let best = 0;
      for (let k = 1; k <= q; k++) if (row[k] > row[best]) best = k;
      const cells = words.map((_, k) => (k > q ? '     ' : ` ${shade(row[k])}${String(Math.round(row[k] * 100)).padStart(3)}`)).join('');
      lines.push(`${label(q).padEnd(w)}  ${cells}   ${best + 1} ${typed[best]} ${(row[best] * 100).toFixed(0)}%`);
    }
    if (unknown.length) lines.push(`not in the run's vocabulary, read as ${UNK}: ${unknown.join(', ')}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    log.close();
  }
}

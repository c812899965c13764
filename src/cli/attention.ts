import { UsageError } from '../errors.ts';
import { UNK } from '../data/tokenizer.ts';
import { openCheckedLog } from '../replay/check.ts';
import { attentionAt } from '../replay/attention.ts';
import { isHeadPattern, LINK_FORMED, trackLink, trackPattern, type LinkTrack, type PatternTrack } from '../replay/track.ts';
import { intFlag, parseCommand } from './args.ts';
import { stepArg } from './replay.ts';
import { describeData } from '../data/registry.ts';

export const ATTENTION_USAGE = `weft attention <log.weft> [--step N] [--layer L] [--head H] [--sentence TEXT] [--json]
weft attention <log.weft> --track WORD->WORD [--sentence TEXT] [--every N] [--json]
weft attention <log.weft> --track induction|previous-token [--every N] [--json]
  Shows where one attention head looks, after step N, on a sentence: for each word, how much of
  its attention goes to each word before it (causal), in percent, shaded on one scale for all
  rows (░ from 10%, ▒ from 30%, ▓ from 50%, █ from 70%), and its strongest link.
  Layers and heads are numbered from 1 here and in every line weft prints for people; from 0 in
  --json output and in code (layer 4, head 7 is "layer": 3, "head": 6).
  --step N         the step (default: the last)
  --layer L        1…nLayers, as in summaries (default 4: the story's Layer 4, or the last)
  --head H         1…nHeads (head h owns columns (h−1)·hd… of q, k and v; default 7: the
                   story's Head #7, or the last)
  --sentence TEXT  default "The cat chased the dog because it was fast" (with --track: the first
                   probe sentence, or story sentence, holding both words)
  --track A->B     how strongly every head ties word A to the word B before it, step by step:
                   the heads that tie them most, as a chart over training, the strongest at the
                   end and the first step its link passed 0.5 — from the log's probe records
                   (config.probe) when it has them, else by replaying the log
  --track induction       every head's induction score through training: the share of attention
                   a token gives the token that followed its earlier occurrence (Olsson et al.),
                   averaged over the run's own sequences (held-out first); the strongest head at
                   the end and the first step its score passed 0.5 — by replaying the log
  --track previous-token  the same for the share of attention on the token just before
  --every N        with --track and no probes: replay every N steps (default: 20 points along
                   the run; for a pattern, 100 points — on a long summary log --every at its
                   keyframe interval is fastest)`;

/** ▁…█ for 0…1 (absolute: the same height means the same share of attention in every row). */
function spark(series: number[], width: number): string {
  const bars = '▁▂▃▄▅▆▇█';
  const out: string[] = [];
  for (let c = 0; c < Math.min(width, series.length); c++) {
    const x = series[Math.round((c * (series.length - 1)) / Math.max(1, Math.min(width, series.length) - 1))];
    out.push(Number.isFinite(x) ? bars[Math.min(7, Math.max(0, Math.floor(x * 8)))] : '?');
  }
  return out.join('');
}

/** The tracked link on a terminal: the heads that tie it most, and when the strongest formed. */
function formatTrack(t: LinkTrack, shown = 8): string {
  const [a, b] = t.link.split('->');
  const first = t.steps[0];
  const last = t.steps[t.steps.length - 1];
  const top = [...t.heads].sort((x, y) => y.final - x.final).slice(0, shown);
  const width = 40;
  const lines = [
    `"${a}" → "${b}" in "${t.sentence}"`,
    `  the share of "${a}"'s attention on "${b}", per head, at ${t.steps.length} steps (${t.source === 'probes' ? "the log's probes" : 'replayed'}), ${first}…${last}`,
    `  ${'head'.padEnd(9)} ${'→'.padEnd(Math.min(width, t.steps.length))}   end   > 0.5 from`,
  ];
  for (const h of top) lines.push(`  L${String(h.layer + 1).padEnd(2)} H${String(h.head + 1).padEnd(3)} ${spark(h.series, width)}   ${h.final.toFixed(2)}   ${h.firstAbove === null ? '–' : `step ${h.firstAbove}`}`);
  const s = t.strongest;
  lines.push(s.final > LINK_FORMED
    ? `strongest at the end: layer ${s.layer + 1}, head ${s.head + 1} (${s.final.toFixed(2)}); its link passed 0.5 first at step ${s.firstAbove}`
    : `no head ties "${a}" to "${b}" above 0.5 at the end; the strongest: layer ${s.layer + 1}, head ${s.head + 1} (${s.final.toFixed(2)})`);
  return lines.join('\n');
}

/** A tracked pattern on a terminal: the heads that follow it most, and when the strongest formed. */
function formatPatternTrack(t: PatternTrack, shown = 8): string {
  const first = t.steps[0];
  const last = t.steps[t.steps.length - 1];
  const top = [...t.heads].sort((x, y) => y.final - x.final).slice(0, shown);
  const width = 40;
  const what = t.pattern === 'induction' ? 'on the token after its earlier occurrence' : 'on the token just before it';
  const lines = [
    `${t.pattern} score: the share of a token's attention ${what}, per head, over ${t.sequences.length} of the run's sequences`,
    `  at ${t.steps.length} steps (replayed), ${first}…${last}`,
    `  ${'head'.padEnd(9)} ${'→'.padEnd(Math.min(width, t.steps.length))}   end   > 0.5 from`,
  ];
  for (const h of top) lines.push(`  L${String(h.layer + 1).padEnd(2)} H${String(h.head + 1).padEnd(3)} ${spark(h.series, width)}   ${h.final.toFixed(2)}   ${h.firstAbove === null ? '–' : `step ${h.firstAbove}`}`);
  const s = t.strongest;
  lines.push(s.final > LINK_FORMED
    ? `${t.pattern} head: layer ${s.layer + 1}, head ${s.head + 1} (${s.final.toFixed(2)} at the end); its score passed 0.5 first at step ${s.firstAbove}`
    : `no ${t.pattern} head: no head scores above 0.5 at the end; the strongest: layer ${s.layer + 1}, head ${s.head + 1} (${s.final.toFixed(2)})`);
  return lines.join('\n');
}

/** Absolute shading: the same share of attention looks the same in every row and every head. */
function shade(w: number): string {
  return w >= 0.7 ? '█' : w >= 0.5 ? '▓' : w >= 0.3 ? '▒' : w >= 0.1 ? '░' : ' ';
}

export async function attentionCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, { step: { type: 'string' }, layer: { type: 'string' }, head: { type: 'string' }, sentence: { type: 'string' }, json: { type: 'boolean' }, track: { type: 'string' }, every: { type: 'string' } }, ATTENTION_USAGE, { count: 1, what: 'one log file' });
  if (!p) return 0;
  const { values, positionals } = p;
  const log = openCheckedLog(positionals[0]);
  try {
    if (values.track !== undefined) {
      if (values.step !== undefined || values.layer !== undefined || values.head !== undefined) throw new UsageError('--track follows every head at every probed step: --step, --layer and --head do not go with it');
      const track = String(values.track);
      if (isHeadPattern(track)) {
        if (values.sentence !== undefined) throw new UsageError(`--track ${track} scores heads on the run's own sequences: --sentence does not go with it`);
        const t = trackPattern(log, track, { every: intFlag(values.every, '--every', 1) });
        process.stdout.write(`${values.json ? JSON.stringify(t, null, 2) : formatPatternTrack(t)}\n`);
        return 0;
      }
      const t = trackLink(log, track, { sentence: values.sentence === undefined ? undefined : String(values.sentence), every: intFlag(values.every, '--every', 1) });
      process.stdout.write(`${values.json ? JSON.stringify(t, null, 2) : formatTrack(t)}\n`);
      return 0;
    }
    if (values.every !== undefined) throw new UsageError('--every goes with --track');
    const h = log.header;
    const m = { ...h.config.model, vocabSize: h.vocabSize };
    if (!h.vocab) throw new UsageError(`${log.path}: a run on the ${describeData(h.config.data)} has no words to show`);
    const step = values.step === undefined ? log.lastStep : stepArg(values.step, '--step', log);
    const layer = intFlag(values.layer, '--layer', 1) ?? Math.min(4, m.nLayers);
    const head = intFlag(values.head, '--head', 1) ?? Math.min(7, m.nHeads);
    const g = attentionAt(log, step, layer - 1, head - 1, String(values.sentence ?? 'The cat chased the dog because it was fast'));
    const { typed, words, unknown } = g;
    const T = words.length;
    if (values.json) {
      // 0-based in JSON, as in code
      process.stdout.write(`${JSON.stringify({ step, layer: g.layer, head: g.head, words, unknown, attention: g.attention }, null, 2)}\n`);
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

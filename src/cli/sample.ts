import { UsageError } from '../errors.ts';
import { openCheckedLog } from '../replay/check.ts';
import { describeData, taskFormatOf } from '../data/registry.ts';
import type { TextCodec } from '../data/text-codec.ts';
import { checkSample, modelStateAt, sample, textCodecOf, type Sample, type SampleScore } from '../replay/sample.ts';
import { completionTracks, formatCompletionTrack } from '../replay/completions.ts';
import { intFlag, parseCommand } from './args.ts';
import { stepArg } from './replay.ts';

export const SAMPLE_USAGE = `weft sample <log.weft> --prompt TEXT [--at N] [--tokens K] [--temperature T] [--top-k K] [--top-p P] [--seed S] [--show-probs] [--json] [--data PATH]
       weft sample <log.weft> --track [--json]
  What the model writes after a prompt: the state after step N, replayed exactly from the log,
  then one word at a time, each predicted from the words before it. The same command prints the
  same bytes on every machine, runtime, --kernels and --threads: greedy, and seeded sampling too.
  --prompt TEXT      the opening words, read with the run's tokenizer: words (unknown words as
                     <unk>), characters (unknown ones left out, named) or the run's BPE merges
  --at N             the step (default: the last)
  --tokens K         words (characters, tokens) to write (default 16), through a KV cache; past
                     the context length the window slides: each later word is predicted from
                     the contextLength words before it, the window recomputed from its start
  --temperature T    0 = greedy, the likeliest word each time (default); above 0, drawn from
                     softmax(logits / T)
  --top-k K          draw among the K likeliest words only (default: all)
  --top-p P          then among the likeliest whose probability adds up to P, in (0, 1] (default 1)
  --seed S           draw i comes from the keyed stream (S, sample/token, i) (default 0)
  --show-probs       each written word's probability and the likeliest alternatives: the
                     model's own distribution (temperature 1, before top-k and top-p)
  --json             the sample as JSON (ids, words, probabilities, options)
  --track            how each prompt of the run's completion probes (config.probe.prompts) was
                     continued through training, from its probe records: the steps where the
                     words changed, and the step it first wrote its final words
  --data PATH        a BPE run's data.path moved: a copy with the log's hash (the merges are
                     trained again from it, as the run did)
  A task's run reads the task's prompts and scores what the model writes by the task's rule:
  modular, a ∘ b = ("37 + 58 =", the run's operator, numbers 0…p−1; --tokens default 1, the
  answer); induction, token ids separated by spaces ("5 17 3 9 5 17"), each written token right
  when it follows the previous occurrence of the token before it. A run on token ids with no
  task format (the random corpus, a token file) is refused (exit 2): the library's sample
  takes token ids.`;

/** A flag's number, or one line naming the flag. */
function numberFlag(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) throw new UsageError(`${name}: expected a number, got ${JSON.stringify(s)}`);
  return Number(s);
}

/** A task's score in words: the one scored token's verdict, or how many the rule finds right. */
function formatScore(s: Sample, score: SampleScore): string {
  if (score.scored === 0) return `not scored: the rule (${score.rule}) names no right token for what was written`;
  if (score.scored === 1) {
    const i = score.tokens.findIndex((t) => t !== null);
    const [t, g] = [score.tokens[i]!, s.generated[i]];
    const right = `${score.rule} is ${t.word}`;
    return t.correct
      ? `✓ ${right}: the model writes it, probability ${g.probability.toFixed(3)}`
      : `✗ ${right}, probability ${t.expectedProbability.toFixed(3)}; the model writes ${g.word}, probability ${g.probability.toFixed(3)}`;
  }
  const unscored = s.generated.length - score.scored;
  return `${score.correct} of ${score.scored} tokens right by the rule: ${score.rule}${unscored ? `; ${unscored} not scored (the rule names no token for ${unscored === 1 ? 'it' : 'them'})` : ''}`;
}

/**
 * The sample as text: words spaced as written, characters and BPE text as they join (names
 * quoted where shown one by one); a task's tokens spaced by their names, then the score.
 */
function formatSample(s: Sample, showProbs: boolean, codec: TextCodec | null): string {
  const o = s.options;
  const how = o.temperature === 0
    ? 'greedy'
    : [`temperature ${o.temperature}`, o.topK === null ? '' : `top-k ${o.topK}`, o.topP === 1 ? '' : `top-p ${o.topP}`, `seed ${o.seed}`].filter((x) => x).join(', ');
  const n = s.generated.length;
  const units = `${codec ? codec.unit : 'token'}${n === 1 ? '' : 's'}`;
  const show = codec ? codec.show : (name: string) => name;
  const spaced = !codec || codec.tokenizer === 'word';
  const lines = [`after step ${s.step}, ${how}: [the prompt] and ${n} ${units}`];
  lines.push(spaced ? `[${s.prompt.words.join(' ')}] ${s.continuation}` : `[${codec.decode(s.prompt.ids)}]${s.continuation}`);
  if (showProbs) {
    const w = Math.max(...s.generated.map((g) => show(g.word).length));
    s.generated.forEach((g, i) => {
      const others = g.top.filter((t) => t.id !== g.id).slice(0, 4).map((t) => `${show(t.word)} ${t.probability.toFixed(3)}`);
      const t = s.score?.tokens[i];
      const verdict = t ? (t.correct ? '   ✓' : `   ✗ right: ${t.word} ${t.expectedProbability.toFixed(3)}`) : '';
      lines.push(`  ${String(s.prompt.ids.length + i + 1).padStart(3)} ${show(g.word).padEnd(w)}  ${g.probability.toFixed(3)}   others: ${others.join(' · ')}${verdict}`);
    });
  }
  if (s.score) lines.push(formatScore(s, s.score));
  if (!codec) {
    if (s.slid) lines.push(`the context holds ${s.contextLength} tokens: from token ${s.contextLength + 2} on, each was predicted from the ${s.contextLength} before it (the window slides)`);
    return lines.join('\n');
  }
  const words = codec.tokenizer === 'word';
  if (s.prompt.unknown.length) lines.push(words ? `not in the run's vocabulary, read as <unk>: ${s.prompt.unknown.join(', ')}` : `not in the run's ${units}, left out: ${s.prompt.unknown.map(codec.show).join(', ')}`);
  if (s.slid) lines.push(`the context holds ${s.contextLength} ${units}: from ${codec.unit} ${s.contextLength + 2} on, each was predicted from the ${s.contextLength} before it (the window slides)`);
  return lines.join('\n');
}

export async function sampleCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, {
    at: { type: 'string' }, prompt: { type: 'string' }, tokens: { type: 'string' }, temperature: { type: 'string' },
    'top-k': { type: 'string' }, 'top-p': { type: 'string' }, seed: { type: 'string' }, 'show-probs': { type: 'boolean' }, json: { type: 'boolean' },
    track: { type: 'boolean' }, data: { type: 'string' },
  }, SAMPLE_USAGE, { count: 1, what: 'one log file' });
  if (!p) return 0;
  const { values, positionals } = p;
  if (values.track) {
    const other = ['at', 'prompt', 'tokens', 'temperature', 'top-k', 'top-p', 'seed', 'show-probs', 'data'].find((k) => values[k] !== undefined);
    if (other) throw new UsageError(`--track reads the recorded completion probes: --${other} does not apply to it`);
    const log = openCheckedLog(positionals[0]);
    try {
      const tracks = completionTracks(log);
      process.stdout.write(`${values.json ? JSON.stringify(tracks, null, 2) : tracks.map(formatCompletionTrack).join('\n\n')}\n`);
      return 0;
    } finally {
      log.close();
    }
  }
  if (values.prompt === undefined) throw new UsageError(`--prompt TEXT is required\nusage: ${SAMPLE_USAGE.split('\n')[0]}`);
  const options = {
    tokens: intFlag(values.tokens, '--tokens'),
    temperature: numberFlag(values.temperature, '--temperature'),
    topK: intFlag(values['top-k'], '--top-k'),
    topP: numberFlag(values['top-p'], '--top-p'),
    seed: intFlag(values.seed, '--seed', 0),
  };
  const log = openCheckedLog(positionals[0]);
  try {
    const h = log.header;
    const dataPath = values.data as string | undefined;
    if (dataPath !== undefined && h.data?.tokenizer !== 'bpe') throw new UsageError(`--data ${dataPath}: only a BPE run reads its data file (to train its merges again); this one's text is in the log`);
    const codec = textCodecOf(log, dataPath);
    const model = { ...h.config.model, vocabSize: h.vocabSize };
    const task = taskFormatOf(h.config.data, model);
    if (!codec && !task) {
      const has = h.data?.tokenizer === 'uint16' ? 'token ids, not text' : 'token ids only';
      throw new UsageError(`${log.path}: weft sample reads a prompt as text, and a run on the ${describeData(h.config.data)} has ${has} (the library's sample takes token ids)`);
    }
    const step = values.at === undefined ? log.lastStep : stepArg(values.at, '--at', log);
    const prompt = String(values.prompt);
    // the prompt and options are checked before the replay's work
    checkSample({ model, vocab: h.vocab, codec, task }, prompt, options);
    const s = sample({ ...modelStateAt(log, step), codec }, prompt, options);
    process.stdout.write(`${values.json ? JSON.stringify(s, null, 2) : formatSample(s, Boolean(values['show-probs']), task ? null : codec)}\n`);
    return 0;
  } finally {
    log.close();
  }
}

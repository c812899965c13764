import { UsageError } from '../errors.ts';
import { describeData } from '../data/registry.ts';
import { openLog } from '../log/reader.ts';
import type { TextCodec } from '../data/text-codec.ts';
import { checkSample, modelStateAt, sample, textCodecOf, type Sample } from '../replay/sample.ts';
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
  A run on token ids (the random corpus, a task, a token file) is refused (exit 2): the
  library's sample takes token ids.`;

/** A flag's number, or one line naming the flag. */
function numberFlag(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) throw new UsageError(`${name}: expected a number, got ${JSON.stringify(s)}`);
  return Number(s);
}

/** The sample as text: words spaced as written, characters and BPE text as they join (names quoted where shown one by one). */
function formatSample(s: Sample, showProbs: boolean, codec: TextCodec): string {
  const o = s.options;
  const how = o.temperature === 0
    ? 'greedy'
    : [`temperature ${o.temperature}`, o.topK === null ? '' : `top-k ${o.topK}`, o.topP === 1 ? '' : `top-p ${o.topP}`, `seed ${o.seed}`].filter((x) => x).join(', ');
  const units = `${codec.unit}s`;
  const words = codec.tokenizer === 'word';
  const lines = [`after step ${s.step}, ${how}: [the prompt] and ${s.generated.length} ${units}`];
  lines.push(words ? `[${s.prompt.words.join(' ')}] ${s.continuation}` : `[${codec.decode(s.prompt.ids)}]${s.continuation}`);
  if (showProbs) {
    const w = Math.max(...s.generated.map((g) => codec.show(g.word).length));
    s.generated.forEach((g, i) => {
      const others = g.top.filter((t) => t.id !== g.id).slice(0, 4).map((t) => `${codec.show(t.word)} ${t.probability.toFixed(3)}`);
      lines.push(`  ${String(s.prompt.ids.length + i + 1).padStart(3)} ${codec.show(g.word).padEnd(w)}  ${g.probability.toFixed(3)}   others: ${others.join(' · ')}`);
    });
  }
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
    const log = openLog(positionals[0]);
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
  const log = openLog(positionals[0]);
  try {
    const h = log.header;
    const dataPath = values.data as string | undefined;
    if (dataPath !== undefined && h.data?.tokenizer !== 'bpe') throw new UsageError(`--data ${dataPath}: only a BPE run reads its data file (to train its merges again); this one's text is in the log`);
    const codec = textCodecOf(log, dataPath);
    if (!codec) {
      const has = h.data?.tokenizer === 'uint16' ? 'token ids, not text' : 'token ids only';
      throw new UsageError(`${log.path}: weft sample reads a prompt as text, and a run on the ${describeData(h.config.data)} has ${has} (the library's sample takes token ids)`);
    }
    const step = values.at === undefined ? log.lastStep : stepArg(values.at, '--at', log);
    const prompt = String(values.prompt);
    // the prompt and options are checked before the replay's work
    checkSample({ model: { ...h.config.model, vocabSize: h.vocabSize }, vocab: h.vocab, codec }, prompt, options);
    const s = sample({ ...modelStateAt(log, step), codec }, prompt, options);
    process.stdout.write(`${values.json ? JSON.stringify(s, null, 2) : formatSample(s, Boolean(values['show-probs']), codec)}\n`);
    return 0;
  } finally {
    log.close();
  }
}

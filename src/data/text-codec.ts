import { decodeBpe, encodeBpe } from './bpe.ts';
import { splitWords, Tokenizer, UNK } from './tokenizer.ts';

/**
 * How a run's text becomes token ids and back, by its data's tokenizer: what `weft sample` reads
 * a prompt with and writes the model's tokens in. Words (the story's tokenizer: lower-cased
 * words and punctuation, a word the run never saw read as <unk>), characters (each one a token;
 * one the run never saw is left out) or byte-level BPE (the prompt's UTF-8 bytes merged by the
 * run's own merges, in their order; tokens back to bytes, and the bytes read as UTF-8).
 */
export interface TextCodec {
  readonly tokenizer: 'word' | 'char' | 'bpe';
  /** what a token is called in what weft prints: word, character, token */
  readonly unit: string;
  /** what a prompt is made of, for its messages: words, or characters */
  readonly piece: string;
  /** a prompt's ids; `pieces` it has, `known` of them in the vocabulary, the others named once each (in order) */
  encode(text: string): { ids: number[]; pieces: number; known: number; unknown: string[] };
  /** a token's name, as the vocabulary spells it */
  name(id: number): string;
  /** tokens back to text */
  decode(ids: readonly number[]): string;
  /** a token's name or a prompt's piece as a message shows it: words as they are, characters and BPE tokens quoted */
  show(name: string): string;
}

/** What stands for an id no token of the vocabulary has (a model's vocabulary may be larger than its tokenizer's). */
const NO_CHARACTER = '\ufffd';

/** Words back into text: a space between words, none before punctuation. */
export function wordsToText(words: readonly string[]): string {
  return words.reduce((s, w, i) => (i === 0 ? w : /^[.,!?;:]$/.test(w) ? `${s}${w}` : `${s} ${w}`), '');
}

/** The story's word tokenizer over a run's vocabulary (id 0 `<unk>`). */
export function wordCodec(vocab: readonly string[]): TextCodec {
  const tokenizer = new Tokenizer(vocab);
  const name = (id: number) => vocab[id] ?? UNK;
  return {
    tokenizer: 'word',
    unit: 'word',
    piece: 'word',
    encode(text) {
      const typed = splitWords(text);
      const ids = tokenizer.encode(text);
      return { ids, pieces: typed.length, known: ids.filter((id) => id !== 0).length, unknown: [...new Set(typed.filter((_, i) => ids[i] === 0))] };
    },
    name,
    decode: (ids) => wordsToText(ids.map(name)),
    show: (w) => w,
  };
}

/** A token's name in quotes, control characters escaped (a BPE name's `\xNN` as it is). */
function quoted(name: string): string {
  return JSON.stringify(name).replace(/\\\\x([0-9a-f]{2})/g, '\\x$1');
}

/** The char tokenizer over a run's characters (index = id, as the header stores them). */
export function charCodec(chars: readonly string[]): TextCodec {
  const ids = new Map(chars.map((c, i) => [c, i]));
  const name = (id: number) => chars[id] ?? NO_CHARACTER;
  return {
    tokenizer: 'char',
    unit: 'character',
    piece: 'character',
    encode(text) {
      const typed = Array.from(text);
      const out: number[] = [];
      const unknown = new Set<string>();
      for (const c of typed) {
        const id = ids.get(c);
        if (id === undefined) unknown.add(c);
        else out.push(id);
      }
      return { ids: out, pieces: typed.length, known: out.length, unknown: [...unknown] };
    },
    name,
    decode: (list) => list.map(name).join(''),
    show: quoted,
  };
}

/**
 * Byte-level BPE by a run's merges (merge i made token 256 + i) and its token names (index =
 * id). Every byte is a token, so every prompt is known; an id beyond the tokens decodes as U+FFFD.
 */
export function bpeCodec(merges: readonly [number, number][], names: readonly string[]): TextCodec {
  const tokens = 256 + merges.length;
  const utf8 = new TextDecoder('utf-8'); // not fatal: bytes that end mid-character read as U+FFFD
  return {
    tokenizer: 'bpe',
    unit: 'token',
    piece: 'character',
    encode(text) {
      const pieces = Array.from(text).length;
      return { ids: Array.from(encodeBpe(new TextEncoder().encode(text), merges)), pieces, known: pieces, unknown: [] };
    },
    name: (id) => names[id] ?? NO_CHARACTER,
    decode(ids) {
      // runs of known tokens as bytes, each unknown id as U+FFFD
      let out = '';
      let run: number[] = [];
      const flush = () => {
        out += utf8.decode(decodeBpe(run, merges));
        run = [];
      };
      for (const id of ids) {
        if (id >= 0 && id < tokens) run.push(id);
        else {
          flush();
          out += NO_CHARACTER;
        }
      }
      flush();
      return out;
    },
    show: quoted,
  };
}

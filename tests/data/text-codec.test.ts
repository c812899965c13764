// A run's text read into its tokens and written back (what weft sample's prompt and continuation
// go through): words as the story's tokenizer reads them, characters by the run's own list, and
// byte-level BPE by the run's merges — every byte a token, bytes that end mid-character read as
// U+FFFD, as are ids no token has.
import { describe, expect, it } from 'vitest';
import { encodeBpe, trainBpe } from '../../src/data/bpe.ts';
import { bpeCodec, charCodec, wordCodec } from '../../src/data/text-codec.ts';
import { Tokenizer } from '../../src/data/tokenizer.ts';

describe('text codecs', () => {
  it('words: the story tokenizer\'s ids, unknown words as <unk> (id 0) named once; text spaced as written', () => {
    const vocab = ['<unk>', 'the', 'cat', '.', 'sat'];
    const c = wordCodec(vocab);
    const read = c.encode('The cat zorp, the zorp sat.');
    expect(read).toEqual({ ids: new Tokenizer(vocab).encode('The cat zorp, the zorp sat.'), pieces: 8, known: 5, unknown: ['zorp', ','] });
    expect(read.ids).toEqual([1, 2, 0, 0, 1, 0, 4, 3]);
    expect(c.decode([1, 2, 4, 3, 1])).toBe('the cat sat. the');
    expect(c.name(99)).toBe('<unk>');
  });

  it('characters: each one a token by the run\'s list; one it lacks is left out and named once; text joined', () => {
    const c = charCodec(['\n', ' ', 'a', 'b', 'é']);
    expect(c.encode('ab é\nxa x')).toEqual({ ids: [2, 3, 1, 4, 0, 2, 1], pieces: 9, known: 7, unknown: ['x'] });
    // a character beyond the Basic Multilingual Plane is one character, not two halves
    expect(c.encode('😀a')).toEqual({ ids: [2], pieces: 2, known: 1, unknown: ['😀'] });
    expect(c.decode([2, 1, 4, 0, 3])).toBe('a é\nb');
    expect(c.decode([2, 7])).toBe('a\ufffd');
    expect(c.show('\n')).toBe('"\\n"');
  });

  it('byte-level BPE: the prompt\'s UTF-8 bytes merged in the merges\' order; tokens back to bytes read as UTF-8', () => {
    const text = 'naïve naïve naïve café café';
    const { merges, names } = trainBpe(new TextEncoder().encode(text), 270);
    const c = bpeCodec(merges, names);
    const read = c.encode('naïve café');
    expect(read.ids).toEqual(Array.from(encodeBpe(new TextEncoder().encode('naïve café'), merges)));
    expect(read.ids.length).toBeLessThan(new TextEncoder().encode('naïve café').length);
    expect(read).toMatchObject({ pieces: 10, known: 10, unknown: [] });
    expect(c.decode(read.ids)).toBe('naïve café');
    // ï is two bytes: its first alone ends mid-character (U+FFFD); an id no token has is U+FFFD too
    expect(c.decode([0xc3])).toBe('\ufffd');
    expect(c.decode([0x61, 256 + merges.length, 0x62])).toBe('a\ufffdb');
    expect(c.show(names[0xc3])).toBe('"\\xc3"');
  });
});

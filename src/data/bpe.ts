/**
 * Byte-level BPE, trained on a text's UTF-8 bytes as minbpe's BasicTokenizer is (Sennrich et al.
 * 2016; GPT-2's byte-level alphabet): tokens 0…255 are the bytes, and each merge makes the
 * most frequent adjacent pair of the current sequence a new token, until the vocabulary has
 * `vocabSize` tokens or no pair occurs twice. Deterministic by construction: pairs are counted
 * over the whole sequence, and among pairs of equal count the one whose first occurrence comes
 * first wins (minbpe's `max` over a dict in insertion order). No random draw, no map iteration
 * order — the same file gives the same merges everywhere.
 */

/** A trained byte-level BPE: its merges in order, the file's tokens, and each token's name. */
export interface Bpe {
  /** merge i made token 256 + i from the pair [a, b] */
  merges: [number, number][];
  tokens: Int32Array;
  /** token names people read, index = id: the bytes as UTF-8 where they are characters, \xNN where not */
  names: string[];
}

/** The most frequent adjacent pair (first occurrence first among equals), or null when none occurs twice. */
function mostFrequentPair(seq: Int32Array, n: number, V: number, counts: Map<number, number>): [number, number] | null {
  counts.clear();
  let best = -1;
  let bestCount = 1;
  for (let i = 0; i + 1 < n; i++) {
    const key = seq[i] * V + seq[i + 1];
    const c = (counts.get(key) ?? 0) + 1;
    counts.set(key, c);
    // strictly more: an equal count later in the text does not displace the earlier pair
    if (c > bestCount) {
      bestCount = c;
      best = key;
    }
  }
  if (best < 0) return null;
  // among pairs of the best count, the first to occur in the text
  for (let i = 0; i + 1 < n; i++) {
    const key = seq[i] * V + seq[i + 1];
    if (counts.get(key) === bestCount) return [seq[i], seq[i + 1]];
  }
  return null;
}

/** Replaces each non-overlapping occurrence of (a, b), left to right, by `id`; the new length. */
function merge(seq: Int32Array, n: number, a: number, b: number, id: number): number {
  let w = 0;
  for (let r = 0; r < n; r++) {
    if (r + 1 < n && seq[r] === a && seq[r + 1] === b) {
      seq[w++] = id;
      r++;
    } else seq[w++] = seq[r];
  }
  return w;
}

/** A token's name from its bytes: UTF-8 text where the bytes are whole characters, \xNN for the rest. */
function nameOf(bytes: number[]): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    const chunk = bytes.slice(i, i + len);
    const whole = len > 0 && chunk.length === len && chunk.slice(1).every((c) => (c & 0xc0) === 0x80);
    const text = whole ? new TextDecoder('utf-8', { fatal: false }).decode(Uint8Array.from(chunk)) : '';
    if (whole && !text.includes('\ufffd')) {
      out += text;
      i += len;
    } else {
      out += `\\x${b.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}

/** Trains byte-level BPE on `bytes` to at most `vocabSize` tokens (≥ 256). */
export function trainBpe(bytes: Uint8Array, vocabSize: number): Bpe {
  if (!(Number.isInteger(vocabSize) && vocabSize >= 256)) throw new RangeError(`a byte-level BPE has at least the 256 byte tokens, got ${vocabSize}`);
  const seq = Int32Array.from(bytes);
  let n = seq.length;
  const merges: [number, number][] = [];
  const tokenBytes: number[][] = Array.from({ length: 256 }, (_, b) => [b]);
  const counts = new Map<number, number>();
  while (256 + merges.length < vocabSize) {
    const pair = mostFrequentPair(seq, n, vocabSize, counts);
    if (!pair) break;
    const id = 256 + merges.length;
    merges.push(pair);
    tokenBytes.push([...tokenBytes[pair[0]], ...tokenBytes[pair[1]]]);
    n = merge(seq, n, pair[0], pair[1], id);
  }
  return { merges, tokens: seq.slice(0, n), names: tokenBytes.map(nameOf) };
}

/** A text's bytes as tokens of trained merges, applied in the order they were learned (minbpe's encode gives the same result for its own training text). */
export function encodeBpe(bytes: Uint8Array, merges: readonly [number, number][]): Int32Array {
  const seq = Int32Array.from(bytes);
  let n = seq.length;
  merges.forEach(([a, b], i) => {
    n = merge(seq, n, a, b, 256 + i);
  });
  return seq.slice(0, n);
}

/** The bytes of tokens (the inverse of encodeBpe). */
export function decodeBpe(tokens: ArrayLike<number>, merges: readonly [number, number][]): Uint8Array {
  const bytesOf: number[][] = Array.from({ length: 256 }, (_, b) => [b]);
  for (const [a, b] of merges) bytesOf.push([...bytesOf[a], ...bytesOf[b]]);
  return Uint8Array.from(Array.from(tokens).flatMap((t) => bytesOf[t]));
}

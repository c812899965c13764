/**
 * Word-level tokenizer: lower-cased words and punctuation marks. The vocabulary is ordered by
 * frequency (descending), ties broken by the word's code units, so it never depends on
 * insertion order. Id 0 is `<unk>`; with a capped size the rarest words map to it.
 */
export const UNK = '<unk>';

export function splitWords(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9']+|[.,!?;:]/g) ?? [];
}

export class Tokenizer {
  readonly vocab: readonly string[];
  private readonly ids: Map<string, number>;

  constructor(vocab: readonly string[]) {
    if (vocab[0] !== UNK) throw new Error(`vocabulary must start with ${UNK}`);
    this.vocab = vocab;
    this.ids = new Map(vocab.map((w, i) => [w, i]));
  }

  /** maxSize 0 keeps every word. */
  static fromTexts(texts: readonly string[], maxSize: number): Tokenizer {
    const counts = new Map<string, number>();
    for (const t of texts) for (const w of splitWords(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
    const words = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([w]) => w);
    const vocab = [UNK, ...words];
    return new Tokenizer(maxSize > 0 ? vocab.slice(0, maxSize) : vocab);
  }

  get size(): number {
    return this.vocab.length;
  }

  encode(text: string): number[] {
    return splitWords(text).map((w) => this.ids.get(w) ?? 0);
  }

  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (i) => this.vocab[i] ?? UNK).join(' ');
  }
}

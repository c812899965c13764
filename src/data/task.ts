import type { Tokenizer } from './tokenizer.ts';

/**
 * The data section of a config. `kind` chooses the task (registry.ts); the keys after it belong
 * to kinds: corpus, sentences, randomTokens to `corpus`, p and op to `modular`; batchSize,
 * corpusSeed and trainFraction to every kind.
 */
export interface DataConfig {
  /** the task: `corpus` (language modelling on data.corpus: every log before data.kind), `modular`, … */
  kind: string;
  corpus: 'story' | 'random';
  batchSize: number;
  /** Generated story sentences on top of the story's own (story corpus). */
  sentences: number;
  /** Seed of the data itself, apart from the run seed, so runs of different seeds share data (and the held-out split). */
  corpusSeed: number;
  /** Tokens in the random corpus. */
  randomTokens: number;
  /** The share of examples that trains; the rest are held out (1: none, as before the split). */
  trainFraction: number;
  /** The modulus of the modular task. */
  p: number;
  /** The modular task's operation: a ∘ b mod p. */
  op: '+' | '-' | '*' | '/';
  /** The user's file (kinds text and tokens), as given: read relative to the working directory, never made absolute. */
  path: string;
  /** How the text kind cuts its file into tokens: `char` (every distinct character a token) or `word` (the story's word tokenizer). */
  tokenizer: 'char' | 'word' | 'bpe';
  /** A token file held out whole (the tokens kind: nanoGPT's val.bin); '' splits data.path's windows by data.trainFraction. */
  heldOutPath: string;
  /** The tokens kind's vocabulary file, one token per line (id = line number); '' for ids only. */
  vocabPath: string;
}

/** What of the model a task is built for: its vocabulary size (0 = the task's own) and its context. */
export interface TaskModel {
  vocabSize: number;
  contextLength: number;
}

/**
 * A kind of data, as `data.kind` names it: it owns its examples, their vocabulary and which
 * targets carry loss. The Dataset (dataset.ts) does the rest for every kind alike: the keyed
 * train/held-out split, the order of training examples, batches and the metrics. A new kind is
 * one file declaring one of these and one line in registry.ts.
 */
export interface TaskKind {
  readonly kind: string;
  /** the data in a phrase, as a run's description and errors name it (after "the"): "story corpus", "modular task a + b mod 59" */
  describe(data: DataConfig): string;
  /** its vocabulary is a word tokenizer's: sentences encode to it (attention probes need that) */
  words(data: DataConfig): boolean;
  /**
   * Throws a ConfigError, naming the key, for a config it cannot serve (a context too short for
   * its examples, a vocabulary too small). Cheap — no data built: every config is checked so.
   */
  check(data: DataConfig, model: TaskModel): void;
  build(data: DataConfig, model: TaskModel): Task;
  /** how `weft sample` reads the task's prompts and scores what the model writes (absent: the kind has no prompt format) */
  format?(data: DataConfig, model: TaskModel): TaskFormat;
}

/**
 * A task's prompts and its rule, for sampling: how a prompt in the task's own notation becomes
 * ids (`37 + 58 =`, or ids `5 17 3 9 5 17`), how tokens are named, and which next token the
 * task's rule says is right — so that what the model writes is scored, not only read.
 */
export interface TaskFormat {
  /** the task in a phrase, as the score names it: "modular task a + b mod 23" */
  readonly task: string;
  /** what the rule says, after "right by": "the answer of a + b mod 23" */
  readonly rule: string;
  /** tokens to write when the caller says none: the modular task's one answer */
  readonly tokens: number;
  /** a prompt's ids; a prompt not in the task's format is a UsageError naming what is wrong and what is expected */
  read(text: string): number[];
  /** a token's name */
  name(id: number): string;
  /** the token the rule says comes after `context` (the tokens the model sees), null where it names none */
  next(context: readonly number[]): number | null;
}

/** A task's data for one config: its examples, numbered 0…examples−1, each one row of a batch. */
export interface Task {
  /** V: the task's own when the model says 0, else the model's (at least the task's: extra ids are never seen) */
  readonly vocabSize: number;
  /** token names people read, index = id; null: ids only */
  readonly vocabulary: readonly string[] | null;
  /** the word tokenizer behind the vocabulary, when it is one (words(data)) */
  readonly tokenizer: Tokenizer | null;
  readonly examples: number;
  /** every example has one answer, its one counted target: accuracy applies */
  readonly oneAnswer: boolean;
  /**
   * Writes example i into one row of a batch: T inputs and T targets, the target IGNORED_TARGET
   * where no loss is counted (the loss mask) — at least one target counted. An example shorter
   * than the context is padded after its end, pad targets ignored: under causal attention
   * nothing after a position changes it, so padding changes no counted logit.
   */
  write(i: number, inputs: Int32Array, targets: Int32Array): void;
  /** the task's own train/held-out split (a held-out file), instead of data.trainFraction's keyed one */
  readonly split?: { train: Uint32Array; heldOut: Uint32Array };
  /** what files the task read, by content, for the log header (kinds on a user's file; absent otherwise) */
  readonly source?: DataSource;
  /** what a person starting the run should know about how the data was read (a vocabulary cut to model.vocabSize): one line */
  readonly note?: string;
}

/** A file a task read: its config key, its path as given, its size and SHA-256 (hex). */
export interface DataFile {
  key: 'data.path' | 'data.heldOutPath' | 'data.vocabPath';
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * The identity of a run's data when it comes from a user's files (header.data): the files by
 * content, the tokenizer, and the token names (index = id) when they are not the header's word
 * vocabulary — so that a log decodes its batches without the files.
 */
export interface DataSource {
  tokenizer: 'char' | 'word' | 'bpe' | 'uint16';
  files: DataFile[];
  /** token names, index = id: the char tokenizer's characters, a token file's vocabulary; null: in header.vocab (word) or none */
  vocab: string[] | null;
}

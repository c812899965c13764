import { ConfigError } from '../errors.ts';
import { corpus } from './corpus.ts';
import { induction } from './induction.ts';
import { modular } from './modular.ts';
import { text } from './text.ts';
import { tokens } from './tokens.ts';
import type { DataConfig, TaskFormat, TaskKind, TaskModel } from './task.ts';

const registered = new Map<string, TaskKind>();

/**
 * Makes a data kind known to the config (`data.kind`), the trainer, replay and verify. Returns
 * the function that forgets it again: a test's kind must not outlive the test (the test files
 * of a worker share one process).
 */
export function registerTask(t: TaskKind): () => void {
  if (registered.has(t.kind)) throw new Error(`data kind ${t.kind} is registered twice`);
  registered.set(t.kind, t);
  return () => {
    if (registered.get(t.kind) === t) registered.delete(t.kind);
  };
}

export function taskKinds(): string[] {
  return [...registered.keys()];
}

export function taskKindOf(kind: string): TaskKind {
  const t = registered.get(kind);
  if (!t) throw new ConfigError('data.kind', `${JSON.stringify(kind)} is not a data kind this weft knows (${taskKinds().join(', ')})`);
  return t;
}

/** A config's data in a phrase (after "the"): "story corpus", "modular task a + b mod 59". */
export function describeData(data: DataConfig): string {
  return taskKindOf(data.kind).describe(data);
}

/** How a config's task reads prompts and scores samples; null for a kind without a prompt format (a corpus, a token file). */
export function taskFormatOf(data: DataConfig, model: TaskModel): TaskFormat | null {
  return taskKindOf(data.kind).format?.(data, model) ?? null;
}

// weft's data kinds, in the order `data.kind` lists them. A new one: its file, and a line here.
for (const t of [corpus, modular, text, tokens, induction]) registerTask(t);

import { keyedStream } from '../rng/keyed.ts';

/** The sentences of the story weft grew from (../shared/seeds), where a word refers far back. */
export const STORY_SENTENCES: readonly string[] = [
  'The cat chased the dog because it was fast.',
  'The professor finished her lecture.',
  'The scientists published their findings after they completed the experiment.',
  'Their paper detailed the results.',
];

interface Noun {
  word: string;
  subj: string; // pronoun as subject
  poss: string; // possessive
}

const NOUNS: readonly Noun[] = [
  { word: 'cat', subj: 'it', poss: 'its' },
  { word: 'dog', subj: 'it', poss: 'its' },
  { word: 'professor', subj: 'she', poss: 'her' },
  { word: 'teacher', subj: 'she', poss: 'her' },
  { word: 'king', subj: 'he', poss: 'his' },
  { word: 'farmer', subj: 'he', poss: 'his' },
  { word: 'scientists', subj: 'they', poss: 'their' },
  { word: 'children', subj: 'they', poss: 'their' },
  { word: 'engineers', subj: 'they', poss: 'their' },
];
const VERBS_T = ['chased', 'followed', 'helped', 'watched', 'called'];
const ADJ = ['fast', 'tired', 'hungry', 'curious', 'late', 'kind'];
const OBJECTS = ['lecture', 'work', 'paper', 'book', 'meal', 'journey'];
const FINISH = ['finished', 'started', 'checked', 'shared'];
const LATER = ['published', 'discussed', 'checked', 'shared'];
const THINGS = ['findings', 'results', 'notes', 'plans'];
const DONE = ['completed the experiment', 'finished the work', 'left the lab', 'read the paper'];

/**
 * Sentence i of the generated story corpus: a pronoun refers to a noun several tokens back,
 * as in the story's sentences. Drawn from stream `data/story/sentence i`, so the corpus is a
 * pure function of (corpusSeed, i).
 */
export function storySentence(corpusSeed: number, i: number): string {
  const r = keyedStream(corpusSeed, 'data/story', `sentence ${i}`);
  const pick = <T>(xs: readonly T[]): T => xs[r.int(xs.length)];
  const a = pick(NOUNS);
  let b = pick(NOUNS);
  while (b.word === a.word) b = pick(NOUNS);
  switch (r.int(3)) {
    case 0:
      return `The ${a.word} ${pick(VERBS_T)} the ${b.word} because ${a.subj} was ${pick(ADJ)}.`;
    case 1:
      return `The ${a.word} ${pick(FINISH)} ${a.poss} ${pick(OBJECTS)}.`;
    default:
      return `The ${a.word} ${pick(LATER)} ${a.poss} ${pick(THINGS)} after ${a.subj} ${pick(DONE)}.`;
  }
}

export function storyCorpusText(corpusSeed: number, generated: number): string[] {
  const out = [...STORY_SENTENCES];
  for (let i = 0; i < generated; i++) out.push(storySentence(corpusSeed, i));
  return out;
}

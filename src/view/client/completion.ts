import { el } from './api.ts';
import type { CompletionsView } from '../types.ts';

/**
 * "What the model says now": each probed prompt's greedy continuation at the probe step nearest
 * at or before `step`, and its next-token distribution's likeliest entries as bars.
 */
export function drawCompletions(into: HTMLElement, view: CompletionsView, step: number): void {
  if (!view.prompts.length) return void into.replaceChildren();
  const blocks = view.prompts.map((t, i) => {
    let at = -1;
    for (let j = 0; j < t.steps.length && t.steps[j].step <= step; j++) at = j;
    if (at < 0) return el('div', { class: 'completion', 'data-prompt': i }, el('p', { class: 'muted', text: `"${t.prompt}": no probe at or before step ${step}` }));
    const s = t.steps[at];
    const max = Math.max(...s.top.map((x) => x.probability));
    const bars = s.top.map((x) => el('div', { class: 'next-token', 'data-id': x.id, 'data-value': String(x.probability) },
      el('span', { class: 'next-word', text: x.word }),
      el('span', { class: 'next-bar', style: `width:${Math.round((x.probability / max) * 200)}px` }),
      el('span', { class: 'next-p', text: `${(x.probability * 100).toFixed(1)}%` })));
    return el('div', { class: 'completion', 'data-prompt': i, 'data-step': s.step },
      el('p', { class: 'says' }, el('b', { class: 'prompt', text: t.prompt }), ' ', el('span', { class: 'continuation', text: s.continuation })),
      el('p', { class: 'muted small', text: `greedy, after step ${s.step} (the probe at or before step ${step}); the next word's likeliest:` }),
      el('div', { class: 'next-tokens' }, ...bars));
  });
  into.replaceChildren(el('h3', { text: 'What the model says now' }), ...blocks);
}

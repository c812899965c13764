import { attentionCell } from '../../report/charts.ts';
import { el, present } from './api.ts';
import type { AttentionView } from '../types.ts';

/**
 * The attention grid of one head: a row per word, the share of its attention on each word up to
 * it (causal), shaded on one scale for every row, and its strongest link.
 */
export function drawAttention(into: HTMLElement, a: AttentionView): void {
  const T = a.words.length;
  const label = (k: number) => (a.typed[k] === a.words[k] ? a.words[k] : `${a.typed[k]} (${a.words[k]})`);
  const head = el('tr', {}, el('th', { text: '' }), ...a.words.map((_, k) => el('th', { class: 'col', title: label(k), text: label(k) })), el('th', { text: 'strongest' }));
  const rows = a.attention.map((row, q) => {
    let best = 0;
    for (let k = 1; k <= q; k++) if (row[k] > row[best]) best = k;
    const cells = Array.from({ length: T }, (_, k) => {
      if (k > q) return el('td', { class: 'future' });
      const w = row[k];
      const td = el('td', { class: 'w', 'data-value': String(w), title: `${label(q)} → ${label(k)}: ${(w * 100).toFixed(2)}%`, text: String(Math.round(w * 100)) });
      const shade = attentionCell(w);
      td.style.background = shade.background;
      if (shade.color) td.style.color = shade.color;
      return td;
    });
    return el('tr', {}, el('th', { class: 'row', text: `${q + 1} ${label(q)}` }), ...cells, el('td', { class: 'best', text: `${label(best)} ${(row[best] * 100).toFixed(0)}%` }));
  });
  into.replaceChildren(...present(
    el('p', { class: 'att-caption', text: `layer ${a.layer + 1}, head ${a.head + 1}, after step ${a.step}: % of each word's attention on the words up to it (dropout off)` }),
    el('table', { id: 'att-grid' }, el('thead', {}, head), el('tbody', {}, ...rows)),
    a.unknown.length ? el('p', { class: 'muted', text: `not in the run's vocabulary, read as <unk>: ${a.unknown.join(', ')}` }) : null,
  ));
}

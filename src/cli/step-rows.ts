import type { LogReader } from '../log/reader.ts';
import type { HeaderRecord } from '../log/records.ts';
import type { StepView } from '../log/steps.ts';
import { layerName } from '../layout/table.ts';
import { fmtNorm } from './format.ts';
import { fmtLoss } from './progress.ts';

/** `weft inspect --steps`: one row per step, for people (text), spreadsheets (csv) or programs (json: JSON Lines). */
export type StepRowsFormat = 'text' | 'csv' | 'json';

/** A column of the table: its name, and its value in a step's record. */
interface StepColumn {
  name: string;
  value: (v: StepView) => number;
}

/**
 * The table's columns: step, loss, lr, the global gradient norm, the gradient norm per layer group
 * (named as the run's summary names them: emb, layer 1…L, head), the clip factor.
 */
export function stepColumns(h: HeaderRecord): StepColumn[] {
  const L = h.config.model.nLayers;
  const perLayer = Array.from({ length: L + 2 }, (_, l): StepColumn => ({ name: layerName(l, L), value: (v) => v.gradNormPerLayer[l] }));
  return [
    { name: 'step', value: (v) => v.step },
    { name: 'loss', value: (v) => v.loss },
    { name: 'lr', value: (v) => v.lr },
    { name: 'gradNorm', value: (v) => v.gradNormGlobal },
    ...perLayer,
    { name: 'clipFactor', value: (v) => v.clipFactor },
    // The evaluation figures (held-out and training loss and accuracy, dropout off: DESIGN.md's
    // `eval` record) belong here, after clipFactor, when the log format has eval records — it has
    // none yet. They come from their own record at some steps only: its columns will be empty
    // (CSV) or absent (JSON) at the steps without one.
  ];
}

/** A number written exactly: the shortest decimal that reads back as the same double; NaN, Infinity, -Infinity; -0 as -0. */
export function exactNumber(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

/** A CSV cell: quoted only when it holds a comma, quote or line break (RFC 4180). */
function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A JSON value for a number: JSON has no NaN or ±Inf, which are written as strings ("NaN", "Infinity", "-Infinity"), as --json does everywhere. */
function jsonValue(x: number): string {
  return Number.isFinite(x) ? exactNumber(x) : `"${String(x)}"`;
}

const TEXT_WIDTH = 9;

/** The header line of a format (none for JSON Lines) and the writer of one row. */
export function stepRowFormat(columns: readonly StepColumn[], format: StepRowsFormat): { header: string | null; row: (v: StepView) => string } {
  if (format === 'csv') {
    return { header: columns.map((c) => csvCell(c.name)).join(','), row: (v) => columns.map((c) => exactNumber(c.value(v))).join(',') };
  }
  if (format === 'json') {
    const keys = columns.map((c) => `${JSON.stringify(c.name)}:`);
    return { header: null, row: (v) => `{${columns.map((c, i) => keys[i] + jsonValue(c.value(v))).join(',')}}` };
  }
  // for people: rounded, in columns of one width (a row is written before the next is read)
  const width = (c: StepColumn) => Math.max(c.name.length, TEXT_WIDTH);
  const cell = (c: StepColumn, x: number) => (c.name === 'step' ? String(x) : c.name === 'loss' ? fmtLoss(x) : fmtNorm(x)).padStart(width(c));
  return { header: columns.map((c) => c.name.padStart(width(c))).join(' '), row: (v) => columns.map((c) => cell(c, c.value(v))).join(' ') };
}

/** Output is handed to stdout in chunks of about this many characters. */
const CHUNK_CHARS = 64 * 1024;

/**
 * Writes the rows of a log's steps to stdout as the steps are read — one step record decoded at
 * a time, never the whole table in memory — so `weft inspect big.weft --steps --csv | head` ends
 * as soon as head has its lines, and a log of any length streams through. Each chunk is waited
 * for (a slow reader holds the reading back); a reader that closes the pipe ends the output.
 */
export async function writeStepRows(log: LogReader, format: StepRowsFormat): Promise<void> {
  const { header, row } = stepRowFormat(stepColumns(log.header), format);
  let chunk = header === null ? '' : `${header}\n`;
  let closed = false;
  const flush = async () => {
    const text = chunk;
    chunk = '';
    await new Promise<void>((resolve, reject) => {
      process.stdout.write(text, (e) => {
        if (e && (e as NodeJS.ErrnoException).code !== 'EPIPE') reject(e);
        closed ||= Boolean(e);
        resolve();
      });
    });
  };
  try {
    for (const v of log.steps()) {
      chunk += `${row(v)}\n`;
      if (chunk.length >= CHUNK_CHARS) await flush();
      if (closed) return;
    }
  } finally {
    // (a record found damaged, unchecked: the rows before it are written, then the damage named)
    if (chunk && !closed) await flush();
  }
}

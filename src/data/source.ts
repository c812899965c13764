import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, UsageError } from '../errors.ts';
import type { DataFile, DataSource } from './task.ts';

/** A file's bytes as read, with its identity. */
export interface ReadFile {
  bytes: Uint8Array;
  file: DataFile;
}

/** The largest user file weft reads whole: 1 GiB (a bound, as on everything it reads). */
const MAX_FILE_BYTES = 1024 ** 3;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A user's file, whole, named by its config key: a missing, unreadable, empty or oversized file
 * is a ConfigError naming the key and the path as given (exit 2, before anything is written).
 */
export function readDataFile(key: DataFile['key'], path: string, what: string): ReadFile {
  if (path === '') throw new ConfigError(key, `is required: the path of ${what}`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(key, `${path}: no such file (expected ${what})`);
    throw new ConfigError(key, `${path}: cannot read it (${code ?? (e as Error).message}; expected ${what})`);
  }
  if (bytes.length === 0) throw new ConfigError(key, `${path} is empty (expected ${what})`);
  if (bytes.length > MAX_FILE_BYTES) throw new ConfigError(key, `${path} has ${bytes.length} bytes: at most ${MAX_FILE_BYTES} (1 GiB) are read`);
  return { bytes, file: { key, path, bytes: bytes.length, sha256: sha256Hex(bytes) } };
}

/** The byte offset of the first byte that is not well-formed UTF-8 (RFC 3629: no overlongs, surrogates or beyond U+10FFFF), or −1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

/** A text file's characters: well-formed UTF-8 without NUL bytes, else a ConfigError naming the byte. */
export function decodeText(f: ReadFile): string {
  const { key, path } = f.file;
  const nul = f.bytes.indexOf(0);
  if (nul >= 0) throw new ConfigError(key, `${path} is binary, not text: a NUL byte at byte ${nul} (expected UTF-8 text; a token file is data.kind tokens)`);
  const bad = firstInvalidUtf8(f.bytes);
  if (bad >= 0) throw new ConfigError(key, `${path} is not UTF-8 text: byte ${bad} (0x${f.bytes[bad].toString(16).padStart(2, '0')}) starts no valid UTF-8 character`);
  // (a leading byte-order mark is not text: TextDecoder drops it)
  return new TextDecoder('utf-8').decode(f.bytes);
}

/** A header's token names, index = id: its word vocabulary, else its data's (char, a token file's vocabulary); null when it has none. */
export function tokenNamesOf(h: { vocab: string[] | null; data?: DataSource }): string[] | null {
  return h.vocab ?? h.data?.vocab ?? null;
}

/** Token ids as text, by a header's names: characters joined as they were, words and tokens by spaces; '?' for an id without a name. */
export function decodeTokens(h: { vocab: string[] | null; data?: DataSource }, ids: ArrayLike<number>): string | null {
  const names = tokenNamesOf(h);
  if (!names) return null;
  return Array.from(ids, (i) => names[i] ?? '?').join(h.data?.tokenizer === 'char' ? '' : ' ');
}

/** The one line for a file that is not the one a log was trained on. */
function changedLine(logged: DataFile, path: string, now: { bytes: number; sha256: string } | null): string {
  const was = `the log's is ${logged.bytes} bytes, sha256 ${logged.sha256}`;
  if (!now) return `${logged.key} ${path}: missing — ${was}; --data PATH points the log at a copy`;
  return `${logged.key} ${path}: changed since the log was written — sha256 ${now.sha256} (${now.bytes} bytes), ${was}; --data PATH points the log at a copy with the log's hash`;
}

/**
 * The config a log's data is re-read with (verify, fork, --resume): its own, with data.path
 * pointed at `dataPath` (`--data`, a moved copy) when given. Every file of the header's data is
 * hashed first: a missing or changed one is a UsageError naming the file and both hashes (exit 2),
 * never other numbers quietly.
 */
export function checkDataFiles<C extends { data: { path: string } }>(logged: DataSource | undefined, config: C, dataPath?: string): C {
  if (!logged) {
    if (dataPath !== undefined) throw new UsageError(`--data ${dataPath}: the log's data is not a file (it names none); --data points a run on a user's file at a copy`);
    return config;
  }
  const out = dataPath === undefined ? config : { ...config, data: { ...config.data, path: dataPath } };
  for (const f of logged.files) {
    const path = f.key === 'data.path' ? out.data.path : f.path;
    let bytes: Uint8Array | null = null;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`${f.key} ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the log's is ${f.bytes} bytes, sha256 ${f.sha256}`);
    }
    const now = bytes ? { bytes: bytes.length, sha256: sha256Hex(bytes) } : null;
    if (!now || now.sha256 !== f.sha256) throw new UsageError(changedLine(f, path, now));
  }
  return out;
}

/** After a re-read: what the task read must be what the log names (a file changed between the check and the read). */
export function checkSameSource(logged: DataSource | undefined, read: DataSource | undefined): void {
  if (!logged) return;
  for (const f of logged.files) {
    const r = read?.files.find((x) => x.key === f.key);
    if (!r || r.sha256 !== f.sha256) throw new UsageError(changedLine(f, r?.path ?? f.path, r ?? null));
  }
}

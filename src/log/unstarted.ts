import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { hostname } from 'node:os';
import { EXIT, LogFormatError } from '../errors.ts';
import { crc32 } from './crc32.ts';
import { lockHolder } from './lock.ts';
import { fileHeader, FILE_HEADER_BYTES, FORMAT_VERSION, FRAME_HEADER_BYTES, RECORD_BYTES_MAX } from './format.ts';

/** Larger than any header record: a bigger file is not one killed before its first record. */
const UNSTARTED_BYTES_MAX = 64 * 1024 * 1024;

function startsAsFileHeader(b: Uint8Array): boolean {
  for (let v = 1; v <= FORMAT_VERSION; v++) {
    const h = fileHeader(v);
    if (b.every((x, i) => x === h[i])) return true;
  }
  return false;
}

/**
 * What a log file holds when its run was killed as it started, before its first record (the
 * header) was complete: nothing, part of the 16-byte file header, that header alone, or that
 * header and a header frame cut short. Nothing complete is in such a file: `--resume` restarts
 * it. null for any other file — a log with a complete header record, or damage, which the reader
 * reports: a first frame whose length, with one bit changed, would give a frame whose checksum
 * holds is a flipped bit (contract R2), not a cut; nor is a body that does not start as a
 * msgpack map (every record is one).
 */
export function unstartedLog(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null; // no such file, or not readable: openLog says so
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > UNSTARTED_BYTES_MAX) return null;
    const b = new Uint8Array(st.size);
    for (let done = 0; done < b.length;) {
      const r = readSync(fd, b, done, b.length - done, done);
      if (r === 0) return null;
      done += r;
    }
    return unstartedBytes(b);
  } finally {
    closeSync(fd);
  }
}

/** unstartedLog of bytes in memory. */
export function unstartedBytes(b: Uint8Array): string | null {
  if (b.length === 0) return 'an empty file (0 bytes)';
  if (!startsAsFileHeader(b.subarray(0, FILE_HEADER_BYTES))) return null;
  if (b.length < FILE_HEADER_BYTES) return `the file header cut short (${b.length} of ${FILE_HEADER_BYTES} bytes)`;
  const rest = b.length - FILE_HEADER_BYTES;
  if (rest === 0) return `the file header only (${FILE_HEADER_BYTES} bytes)`;
  if (rest < FRAME_HEADER_BYTES) return `the file header and ${rest} bytes of a header record`;
  const dv = new DataView(b.buffer, b.byteOffset + FILE_HEADER_BYTES, FRAME_HEADER_BYTES);
  const length = dv.getUint32(0, true);
  const crc = dv.getUint32(4, true);
  const body = b.subarray(FILE_HEADER_BYTES + FRAME_HEADER_BYTES);
  if (length > RECORD_BYTES_MAX || body.length >= length) return null;
  for (let bit = 0; bit < 32; bit++) {
    const other = (length ^ (1 << bit)) >>> 0;
    if (other <= body.length && crc32(body.subarray(0, other)) === crc) return null;
  }
  if (body.length > 0 && !(body[0] >= 0x80 && body[0] <= 0x8f) && body[0] !== 0xde && body[0] !== 0xdf) return null;
  return `the file header and a header record cut short (${body.length} of ${length} bytes)`;
}

/**
 * For openLog (every command): a log killed as it started is unreadable data (exit 3), in one
 * line saying what it holds and that `--resume` restarts it; null for any other file.
 */
export function unstartedLogError(path: string): LogFormatError | null {
  const found = unstartedLog(path);
  if (!found) return null;
  const h = lockHolder(path);
  const why = h
    ? `being written by process ${h.pid}${h.host === hostname() ? '' : ` on ${h.host}`}, which has not yet written its first record`
    : `its run was killed as it started (nothing complete is in it); \`npx weft run <scenario> --resume --out ${path}\` restarts it`;
  return new LogFormatError(`${path}: no complete record, ${found}: ${why}`, EXIT.corrupt);
}

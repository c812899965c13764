import { closeSync, fchmodSync, fsyncSync, linkSync, lstatSync, openSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError, WeftError } from '../errors.ts';
import { lockHolder, lockPath, LogLock } from './lock.ts';

/**
 * The one rule for every file a command writes (a log's writer keeps it too: writer.ts, lock.ts):
 * an existing file is replaced only with --force (or when this process wrote it), a path a live
 * lock holds — a log being written — never, and an input of the command never, by any name.
 */
export interface OutputRule {
  /** --force: an existing file may be replaced */
  force: boolean;
  /** the files the command reads: never written over, under any path (symlink, hard link) */
  inputs: readonly string[];
  /** the flag that names the file ('--html'), for the messages */
  flag: string;
}

/** The files this process wrote through writeOutput (device:inode): a command may rewrite its own. */
const writtenHere = new Set<string>();
let tempCount = 0;

const identity = (s: Stats) => `${s.dev}:${s.ino}`;

function statOf(path: string, follow: boolean): Stats | null {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
}

/** Where a write of `path` lands, and whether a name is there already. */
interface OutputTarget {
  /** the file replaced: `path` resolved, through a symlink to its target */
  file: string;
  /** something has the name (a file, or a symlink even when dangling) */
  exists: boolean;
}

/**
 * Checks that `path` may be written under `rule`, throwing a one-line UsageError (exit 2) that
 * names the path and what to do; call it before the work, so none is wasted on a refusal.
 */
export function checkOutput(path: string, rule: OutputRule): OutputTarget {
  const name = statOf(path, false);
  const target = name ? statOf(path, true) : null;
  const file = target && name!.isSymbolicLink() ? realpathSync(path) : resolve(path);
  const instead = `choose another ${rule.flag} FILE`;
  if (target && !target.isFile()) throw new UsageError(`${path} is ${target.isDirectory() ? 'a directory' : 'not a regular file'}; ${instead}`);
  for (const p of new Set([resolve(path), file])) {
    const h = lockHolder(p);
    if (h) throw new UsageError(`${path} is being written by process ${h.pid}${h.host === hostname() ? '' : ` on ${h.host}`} (lock ${lockPath(p)}); wait for it to finish, or ${instead}`);
  }
  if (target) {
    for (const input of rule.inputs) {
      const s = statOf(input, true);
      if (s && identity(s) === identity(target)) {
        throw new UsageError(`${path} is ${resolve(input) === resolve(path) ? 'an input of this command' : `the same file as the input ${input}`}; ${instead}`);
      }
    }
  }
  if (name && !rule.force && !(target && writtenHere.has(identity(target)))) throw new UsageError(`${path} exists; pass --force to replace it`);
  return { file, exists: name !== null };
}

/**
 * Writes `data` to `path` under `rule`, whole or not at all: into a temporary file beside it,
 * synced, then renamed into place (a new file linked, so one that appeared meanwhile is not
 * clobbered), holding the path's lock meanwhile so no log writer starts on it. A crash leaves
 * the old file as it was and at most a hidden `.<name>.<pid>.<n>.tmp`.
 */
export function writeOutput(path: string, data: string | Uint8Array, rule: OutputRule): void {
  const { file, exists } = checkOutput(path, rule);
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${tempCount++}.tmp`);
  try {
    const lock = LogLock.acquire(file);
    try {
      const fd = openSync(tmp, 'wx');
      try {
        const old = exists ? statOf(file, true) : null;
        if (old) fchmodSync(fd, old.mode & 0o7777);
        writeFileSync(fd, data);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      if (exists || rule.force) renameSync(tmp, file);
      else linkNew(tmp, file, path);
      syncDirectory(dirname(file));
      writtenHere.add(identity(statSync(file)));
    } finally {
      rmSync(tmp, { force: true });
      lock.release();
    }
  } catch (e) {
    if (e instanceof WeftError || typeof (e as NodeJS.ErrnoException).code !== 'string') throw e;
    // the system's message names the temporary file or the lock; the user named `path`
    throw new UsageError(`cannot write ${path}: ${(e as Error).message.replace(/, \w+ '.*$/, '')}`);
  }
}

/** Puts `tmp` at `file` only if nothing has that name (link(2) fails if it exists). */
function linkNew(tmp: string, file: string, path: string): void {
  try {
    linkSync(tmp, file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`${path} exists; pass --force to replace it`);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    renameSync(tmp, file); // a file system without hard links: checked a moment ago
  }
}

/** Makes the rename durable against power loss, where the system can sync a directory. */
function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // not every system syncs a directory; the rename itself is atomic
  } finally {
    closeSync(fd);
  }
}

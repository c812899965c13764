import { createHash } from 'node:crypto';
import { closeSync, fstatSync, linkSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { UsageError } from '../errors.ts';

/** Who holds a log's lock: a process on a host. */
export interface LockHolder {
  pid: number;
  host: string;
}

export function lockPath(logPath: string): string {
  return `${logPath}.lock`;
}

/** Locks this process holds, removed on any exit (a SIGKILL leaves one behind; it is then stale). */
const held = new Map<string, LockFile>();
let exitHookInstalled = false;

function removeHeldLocks(): void {
  for (const [p, own] of held) removeIfOwn(p, own);
  held.clear();
}

/** Removes the lock file at `file` if it is still `own` (not one linked in after it was removed by hand). */
function removeIfOwn(file: string, own: LockFile): void {
  if (!sameLockFile(examine(file), own)) return;
  try {
    unlinkSync(file);
  } catch {
    // already gone: nothing to release
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // a zombie (killed, not yet reaped: in a container whose first process reaps no one, never)
  // still answers signal 0 but holds no file
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (not Linux): signal 0 is all there is
  }
}

function readHolder(bytes: Buffer): LockHolder | null {
  try {
    const j = JSON.parse(bytes.toString('utf8')) as Partial<LockHolder>;
    return typeof j.pid === 'number' && typeof j.host === 'string' ? { pid: j.pid, host: j.host } : null;
  } catch {
    return null;
  }
}

/** One lock file as found: its inode and its bytes, read through one descriptor (so they belong together). */
interface LockFile {
  ino: number;
  bytes: Buffer;
}

/** The lock file at `file`, or null when there is none. A lock file is never changed once linked in. */
function examine(file: string): LockFile | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    return { ino: fstatSync(fd).ino, bytes: readFileSync(fd) };
  } finally {
    closeSync(fd);
  }
}

function sameLockFile(a: LockFile | null, b: LockFile): boolean {
  return a !== null && a.ino === b.ino && a.bytes.equals(b.bytes);
}

function isLive(h: LockHolder | null): h is LockHolder {
  return h !== null && (h.host !== hostname() || isAlive(h.pid));
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** How long a writer waits for another one that is taking over the same stale lock. */
const TAKEOVER_WAIT_MS = 3000;

/**
 * The live holder of a log's lock, or null when it is free or its holder has died on this host.
 * A lock from another host cannot be checked and counts as held.
 */
export function lockHolder(logPath: string): LockHolder | null {
  const f = examine(lockPath(logPath));
  const h = f && readHolder(f.bytes);
  return isLive(h) ? h : null;
}

/**
 * An exclusive lock on a log while it is written: `<log>.lock`, holding the writer's pid, host
 * and a nonce of this acquisition. It is created with link(2) from a complete temporary file, so
 * it is whole the moment it appears, and exactly one of the writers that find no lock gets it.
 *
 * A lock whose process has died on this host is stale and taken over. The taker claims that very
 * file: it links `<log>.lock` to a name made of the stale file's identity (inode, and a hash of
 * its bytes, which carry the nonce) — link(2) creates the name for one process only — checks
 * through the claim that it linked the file it examined, and only then unlinks `<log>.lock` and
 * links its own. If the claim links a newer lock (the stale one was taken meanwhile), it drops
 * the claim, having removed nothing.
 *
 * What this guarantees, for any number of racers: `<log>.lock` is only ever removed by its owner
 * (release), or by the one holder of the claim of that exact stale file, while it is still there
 * (no one else removes it, and no other file can be put under the name while it exists). So a
 * live writer's lock is never removed by another writer, and a writer is refused only by a live
 * holder it read. Two racers: one claims and takes over; the other finds the claim taken and
 * waits for the outcome, or claims the new lock, drops that claim, and is refused. A third, or a
 * writer that found no lock: if it links in the instant between the taker's unlink and link, it
 * owns the lock and the taker's link fails — the taker is refused. (Renaming the stale file
 * aside and putting back a live one renamed by mistake empties the name while a live writer
 * holds it: a third racer links in then, and two own it.) A taker killed between claim and
 * takeover (a few system calls) leaves its claim: writers then wait TAKEOVER_WAIT_MS and are
 * refused, naming the claim file to remove.
 */
export class LogLock {
  readonly path: string;
  /** this lock file as linked in: release removes it only if it is still the one there */
  private readonly own: LockFile;
  private released = false;

  private constructor(path: string, own: LockFile) {
    this.path = path;
    this.own = own;
  }

  static acquire(logPath: string): LogLock {
    const file = lockPath(logPath);
    // (a lock's nonce is never logged or hashed: randomness here changes no log's bytes)
    const nonce = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
    const tmp = `${file}.${nonce}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ pid: process.pid, host: hostname(), nonce })}\n`);
    let own: LockFile | null = null;
    try {
      const waitUntil = performance.now() + TAKEOVER_WAIT_MS; // timing: how long to wait for a takeover in progress, never logged
      for (let attempt = 0; !own; attempt++) {
        if (link(tmp, file)) {
          own = examine(tmp);
          break;
        }
        const found = examine(file);
        if (!found) continue; // released or taken over meanwhile: try again
        const holder = readHolder(found.bytes);
        if (isLive(holder)) throw busy(logPath, file, holder);
        if (attempt > 0 && performance.now() > waitUntil) { // timing
          throw new UsageError(`${logPath}: its stale lock ${file} is being taken over by another process (claim ${claimPath(file, found)}); if no weft process is writing it, remove the claim`);
        }
        const outcome = takeOver(file, found, tmp);
        if (outcome === 'taken') own = examine(tmp);
        else if (outcome === 'claimed by another') sleepMs(1);
      }
    } finally {
      unlinkSync(tmp);
    }
    held.set(file, own!);
    if (!exitHookInstalled) {
      process.on('exit', removeHeldLocks);
      exitHookInstalled = true;
    }
    return new LogLock(file, own!);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this.path);
    removeIfOwn(this.path, this.own);
  }
}

/** link(2); false when the new name exists. */
function link(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** The name that claims one stale lock file: unique to that file (its inode and bytes). */
function claimPath(file: string, stale: LockFile): string {
  return `${file}.stale-${stale.ino}-${createHash('sha256').update(stale.bytes).digest('hex').slice(0, 16)}`;
}

/**
 * Replaces the stale lock file `stale`, found at `file`, by this writer's (`tmp`): 'taken', or
 * 'claimed by another' (another writer is taking it over), or 'gone' (it was replaced meanwhile,
 * or a writer that found no lock got in first): nothing of anyone else's was removed.
 */
function takeOver(file: string, stale: LockFile, tmp: string): 'taken' | 'claimed by another' | 'gone' {
  const claim = claimPath(file, stale);
  try {
    if (!link(file, claim)) return 'claimed by another';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw e;
  }
  try {
    // what the claim links is the file at `file` when it was made: the stale one, or a newer one
    if (!sameLockFile(examine(claim), stale)) return 'gone';
    // the stale file is still at `file` (only this claim's holder removes it): remove it
    unlinkSync(file);
    return link(tmp, file) ? 'taken' : 'gone';
  } finally {
    // after the stale file left `file`: no later claim of it can find it there again
    unlinkSync(claim);
  }
}

function busy(logPath: string, file: string, holder: LockHolder): UsageError {
  const who = `process ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`}`;
  return new UsageError(`${logPath} is being written by ${who} (lock ${file}); wait for it to finish, or write to another --out`);
}

import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
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
const held = new Set<string>();
let exitHookInstalled = false;

function removeHeldLocks(): void {
  for (const p of held) {
    try {
      unlinkSync(p);
    } catch {
      // already gone: nothing to release
    }
  }
  held.clear();
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

function readHolder(file: string): LockHolder | null {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof j.pid === 'number' && typeof j.host === 'string' ? { pid: j.pid, host: j.host } : null;
  } catch {
    return null;
  }
}

/**
 * The live holder of a log's lock, or null when it is free or its holder has died on this host.
 * A lock from another host cannot be checked and counts as held.
 */
export function lockHolder(logPath: string): LockHolder | null {
  const h = readHolder(lockPath(logPath));
  if (!h) return null;
  if (h.host === hostname() && !isAlive(h.pid)) return null;
  return h;
}

/**
 * An exclusive lock on a log while it is written: `<log>.lock`, holding the writer's pid and host.
 * It is created with link(2), which fails if the name exists, so exactly one of two racing
 * writers wins and the file is complete the moment it appears. A lock whose process has died on
 * this host is stale and taken over.
 */
export class LogLock {
  readonly path: string;
  private released = false;

  private constructor(path: string) {
    this.path = path;
  }

  static acquire(logPath: string): LogLock {
    const file = lockPath(logPath);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ pid: process.pid, host: hostname() })}\n`);
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          linkSync(tmp, file);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          const holder = lockHolder(logPath);
          if (holder || attempt === 1) {
            const who = holder ? `process ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`}` : 'another process';
            throw new UsageError(`${logPath} is being written by ${who} (lock ${file}); wait for it to finish, or write to another --out`);
          }
          unlinkSync(file); // stale: its writer died without releasing it
        }
      }
    } finally {
      unlinkSync(tmp);
    }
    held.add(file);
    if (!exitHookInstalled) {
      process.on('exit', removeHeldLocks);
      exitHookInstalled = true;
    }
    return new LogLock(file);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this.path);
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

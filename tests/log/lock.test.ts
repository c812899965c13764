import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { LogLock, lockPath } from '../../src/log/lock.ts';
import { ROOT } from '../helpers.ts';
import { tempDir } from './helpers.ts';

/** Above Linux's largest pid (2^22): no process has it, so a lock naming it is stale. */
const DEAD_PID = 2 ** 22 + 12345;

interface Racer {
  child: ChildProcessWithoutNullStreams;
  next(): Promise<string>;
}

/** A long-lived child racing for locks (tests/log/lock-racer.ts), its stdout read line by line. */
function startRacer(): Racer {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tests/log/lock-racer.ts')], { cwd: ROOT });
  const lines: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else lines.push(l);
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const next = () => new Promise<string>((resolve, reject) => {
    const l = lines.shift();
    if (l !== undefined) return resolve(l);
    waiting.push(resolve);
    child.once('exit', (code) => reject(new Error(`racer exited ${code}: ${stderr}`)));
  });
  return { child, next };
}

const racers: Racer[] = [];
afterAll(() => {
  for (const r of racers) r.child.kill();
});

/**
 * Rounds of `n` processes taking over one stale lock at the same instant; per round, how many
 * acquired it, and whether every loser was told who holds it.
 */
async function race(n: number, rounds: number): Promise<{ owners: number[]; badLosers: string[]; leftovers: string[] }> {
  const dir = tempDir();
  const log = join(dir, 'raced.weft');
  while (racers.length < n) {
    const r = startRacer();
    racers.push(r);
    expect(await r.next()).toBe('ready');
  }
  const these = racers.slice(0, n);
  const owners: number[] = [];
  const badLosers: string[] = [];
  const leftovers: string[] = [];
  for (let round = 0; round < rounds; round++) {
    // what a writer killed by SIGKILL leaves: its lock, naming a process that is gone
    writeFileSync(lockPath(log), `${JSON.stringify({ pid: DEAD_PID, host: hostname(), nonce: `dead-${round}` })}\n`);
    const startMs = performance.timeOrigin + performance.now() + 15;
    for (const r of these) r.child.stdin.write(`go ${round} ${log} ${startMs}\n`);
    const results = await Promise.all(these.map(async (r) => JSON.parse(await r.next()) as { pid: number; acquired: boolean; error: string | null }));
    const won = results.filter((x) => x.acquired);
    owners.push(won.length);
    for (const x of results) {
      if (x.acquired) continue;
      const expected = won.length === 1 ? `${log} is being written by process ${won[0].pid} (lock ${lockPath(log)})` : '(no owner)';
      if (!x.error?.startsWith(expected)) badLosers.push(`round ${round}: ${x.error}`);
    }
    for (const r of these) r.child.stdin.write(`release ${round}\n`);
    for (const r of these) expect(await r.next()).toBe('released');
    const left = readdirSync(dir);
    if (left.length) leftovers.push(`round ${round}: ${left.join(', ')}`);
  }
  return { owners, badLosers, leftovers };
}

describe('LogLock: one writer per log', () => {
  it('two processes taking over one stale lock at the same instant: exactly one owner, 200 times out of 200', async () => {
    const r = await race(2, 200);
    expect(r.owners.filter((n) => n !== 1), `rounds without exactly one owner (owners per round: ${r.owners.join('')})`).toEqual([]);
    expect(r.badLosers).toEqual([]);
    expect(r.leftovers, 'no claim or temporary file stays behind').toEqual([]);
  });

  it('three processes at once: still exactly one owner every time', async () => {
    const r = await race(3, 100);
    expect(r.owners.filter((n) => n !== 1), `owners per round: ${r.owners.join('')}`).toEqual([]);
    expect(r.badLosers).toEqual([]);
    expect(r.leftovers).toEqual([]);
  });

  it('a live lock is refused, naming its holder; release removes only its own lock', () => {
    const dir = tempDir();
    const log = join(dir, 'a.weft');
    const lock = LogLock.acquire(log);
    expect(() => LogLock.acquire(log)).toThrow(`${log} is being written by process ${process.pid} (lock ${lockPath(log)})`);
    lock.release();
    expect(existsSync(lockPath(log))).toBe(false);
    // a lock that is no longer this one's (someone removed it by hand and another writer came)
    const second = LogLock.acquire(log);
    const theirs = `${JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'another writer' })}\n`;
    writeFileSync(lockPath(log), theirs);
    second.release();
    expect(readFileSync(lockPath(log), 'utf8')).toBe(theirs);
  });

  it('a claim left by a taker killed mid-takeover: the next writer waits, then is refused naming the claim', () => {
    const dir = tempDir();
    const log = join(dir, 'c.weft');
    const lock = lockPath(log);
    const bytes = Buffer.from(`${JSON.stringify({ pid: DEAD_PID, host: hostname(), nonce: 'n' })}\n`);
    writeFileSync(lock, bytes);
    const claim = `${lock}.stale-${statSync(lock).ino}-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`;
    linkSync(lock, claim);
    expect(() => LogLock.acquire(log)).toThrow(`${log}: its stale lock ${lock} is being taken over by another process (claim ${claim}); if no weft process is writing it, remove the claim`);
    expect(readFileSync(lock).equals(bytes), 'the stale lock is left as it was').toBe(true);
    unlinkSync(claim);
    LogLock.acquire(log).release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a lock file that holds no holder (empty, garbage) is stale and taken over', () => {
    const dir = tempDir();
    for (const content of ['', 'not json', '{"pid":"x"}']) {
      const log = join(dir, 'b.weft');
      writeFileSync(lockPath(log), content);
      const lock = LogLock.acquire(log);
      expect(JSON.parse(readFileSync(lockPath(log), 'utf8')).pid).toBe(process.pid);
      lock.release();
      expect(readdirSync(dir)).toEqual([]);
    }
  });
});

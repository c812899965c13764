// A child process of tests/log/lock.test.ts: races for a log's lock, round after round, on the
// parent's word. Lines on stdin: `go <round> <log> <startMs>` (spin until then, then try the lock
// once), `release <round>`, `quit`. Lines on stdout: `ready`, one JSON result per round, `released`.
import { createInterface } from 'node:readline';
import { LogLock } from '../../src/log/lock.ts';

let held: LogLock | null = null;
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  const [what, round, log, startMs] = line.split(' ');
  if (what === 'go') {
    // the barrier: every racer leaves it at the same instant (both spin; the clock is shared)
    while (performance.timeOrigin + performance.now() < Number(startMs));
    let error: string | null = null;
    try {
      held = LogLock.acquire(log);
    } catch (e) {
      error = (e as Error).message;
    }
    process.stdout.write(`${JSON.stringify({ round: Number(round), pid: process.pid, acquired: held !== null, error })}\n`);
  } else if (what === 'release') {
    held?.release();
    held = null;
    process.stdout.write('released\n');
  } else break;
}

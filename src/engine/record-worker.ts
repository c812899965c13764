// The recording thread (record-thread.ts starts it): runs the recorder's jobs — coding arrays,
// hashing states, framing and appending records — into the log file handed over to it, in the
// order they come, while the training thread goes on with the next step; it opens the file
// itself (its first message), by path, as the same file at the same size. Loaded as dist/'s
// record-worker.js by the compiled package, through record-worker-sources.mjs from the sources
// on Node, and as it is by Bun and Deno.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { LogWriteError } from '../errors.ts';
import { LogWriter, type HandedOver } from '../log/writer.ts';
import { CONTROL, JobRunner, type RecordJob, type ThreadError } from './record-jobs.ts';

const { ends, control, port, spent } = workerData as { ends: number[]; control: SharedArrayBuffer; port: MessagePort; spent: MessagePort };
const ctrl = new Int32Array(control, 0, CONTROL.INTS);
const bytes = new Float64Array(control, CONTROL.BYTES_AT, 1);
let writer: LogWriter | null = null;
let runner: JobRunner | null = null;
let failed = false;

function describe(e: unknown): ThreadError {
  if (e instanceof LogWriteError) return { kind: 'write', file: e.file, systemError: e.systemError, lastStep: e.lastStep };
  return { kind: 'other', name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) };
}

type Message = { op: 'open'; at: HandedOver } | RecordJob | { op: 'close' } | { op: 'abandon' };

parentPort!.on('message', (job: Message) => {
  try {
    if (job.op === 'open') {
      writer = LogWriter.reopen(job.at);
      runner = new JobRunner(writer, ends);
    } else if (job.op === 'abandon') writer?.abandon();
    else if (job.op === 'close') failed ? writer?.abandon() : writer!.close();
    // after a failure nothing more is written: a frame after a torn one would put the damage inside the log
    else if (!failed) {
      // the copies a job is done with go back to be filled again (no fresh megabytes a step)
      const done = runner!.run(job);
      if (done.length) spent.postMessage(done, done.map((a) => a.buffer as ArrayBuffer));
    }
  } catch (e) {
    failed = true;
    port.postMessage(describe(e));
    Atomics.store(ctrl, CONTROL.FAILED, 1);
  } finally {
    if (writer) bytes[0] = writer.bytesWritten;
    Atomics.add(ctrl, CONTROL.DONE, 1);
    Atomics.notify(ctrl, CONTROL.DONE);
  }
});
// what the handler above does not catch stops the thread: the training thread, perhaps waiting, must hear it
process.on('uncaughtException', () => {
  Atomics.store(ctrl, CONTROL.DEAD, 1);
  Atomics.add(ctrl, CONTROL.DONE, 1);
  Atomics.notify(ctrl, CONTROL.DONE);
});
Atomics.store(ctrl, CONTROL.READY, 1);
Atomics.notify(ctrl, CONTROL.READY);

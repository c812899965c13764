// A kernel thread: the fast kernels' module, instantiated on the same shared memory as the main
// thread's, runs the part of a kernel call the main thread hands it through a control block.
// Plain JavaScript, so that it starts without a TypeScript loader. Protocol (Int32Array):
//   [0] seq: bumped by the main thread when a task is ready (then notified)
//   [1] done: set to seq by this thread when the task finished (then notified)
//   [2] status: 0 ok, 1 the call threw (the message is not carried: the main thread re-runs
//       nothing and reports it)
//   [3] export index into NAMES, [4…] its arguments (i32; f64 arguments are not used)
import { workerData } from 'node:worker_threads';

const { module, memory, control, names } = workerData;
const ctrl = new Int32Array(control);
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const fns = names.map((n) => exports[n]);

// 0 is the initial seq: a task posted before this thread started is seen at once
let seen = 0;
/** Polls this many times before sleeping: the next task of a step usually comes within microseconds. */
const SPINS = 20000;
for (;;) {
  for (let i = 0; i < SPINS && Atomics.load(ctrl, 0) === seen; i++);
  Atomics.wait(ctrl, 0, seen);
  seen = Atomics.load(ctrl, 0);
  const fn = fns[ctrl[3]];
  const argc = ctrl[4];
  const args = Array.from({ length: argc }, (_, i) => ctrl[5 + i]);
  try {
    fn(...args);
    Atomics.store(ctrl, 2, 0);
  } catch {
    Atomics.store(ctrl, 2, 1);
  }
  Atomics.store(ctrl, 1, seen);
  Atomics.notify(ctrl, 1);
}

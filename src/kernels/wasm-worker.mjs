// A kernel thread: a fast kernels' module (or the rANS module, for log/decode-threads.ts),
// instantiated on the same shared memory as the main thread's, claims and runs tasks of the calls
// the main thread posts in a shared control block (threads.ts KernelThreads states the protocol
// and passes its layout in workerData).
// Plain JavaScript, so that it starts without a TypeScript loader.
import { workerData } from 'node:worker_threads';

const { module, memory, control, names, spins, layout, argsMax } = workerData;
const { SEQ, CLAIM, DONE, STATUS, FN, ARGC, ARGS } = layout;
const ctrl = new Int32Array(control);
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const fns = names.map((n) => exports[n]);

/** The next unclaimed task of the current call and the call's task count, or null (threads.ts claimTask). */
function claim() {
  for (;;) {
    const w = Atomics.load(ctrl, CLAIM);
    const next = w >>> 16;
    const count = w & 0xffff;
    if (next >= count) return null;
    if (Atomics.compareExchange(ctrl, CLAIM, w, w + 0x10000) === w) return { task: next, count };
  }
}

// 0 is the initial seq: a call posted before this thread started is seen at once
let seen = 0;
for (;;) {
  // a short spin (the next call of a step usually comes within microseconds), then sleep
  for (let i = 0; i < spins && Atomics.load(ctrl, SEQ) === seen; i++);
  Atomics.wait(ctrl, SEQ, seen);
  seen = Atomics.load(ctrl, SEQ);
  for (let c = claim(); c !== null; c = claim()) {
    // read after the claim: the arguments of the call this task belongs to
    const fn = fns[ctrl[FN]];
    const argc = ctrl[ARGC];
    const base = ARGS + c.task * argsMax;
    const args = Array.from({ length: argc }, (_, k) => ctrl[base + k]);
    try {
      fn(...args);
    } catch {
      Atomics.store(ctrl, STATUS, 1);
    }
    if (Atomics.add(ctrl, DONE, 1) + 1 === c.count) Atomics.notify(ctrl, DONE);
  }
}

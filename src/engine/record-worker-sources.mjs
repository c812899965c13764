// The recording thread's module when weft runs from its TypeScript sources on Node (a clone, its
// tests): a worker thread does not inherit the TypeScript loader its parent registered, so it
// registers tsx (a dependency) itself, and runs the sources as they are — an edit to src/ reaches
// the recording thread at once, as it reaches the rest. Bun and Deno load record-worker.ts
// directly; the compiled package loads dist/'s record-worker.js.
import { register } from 'tsx/esm/api';

register();
await import('./record-worker.ts');

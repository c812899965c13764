// What the page bundle gets for node:* modules (scripts/build-browser.ts maps them here): the
// hash the engine needs, and for files, threads and paths stand-ins that say they are missing —
// the page keeps its log in memory, and the code that would load files (the WebAssembly kernels
// and codec) falls back to the plain kernels and loops, which give the same bits.
import { Sha256 } from './sha256.ts';

const missing = (what: string) => () => {
  throw new Error(`${what} is not available in a web page`);
};

// node:crypto
export function createHash(algorithm: string) {
  if (algorithm !== 'sha256') throw new Error(`hash ${algorithm} is not available in a web page`);
  const h = new Sha256();
  return {
    update(data: Uint8Array) {
      h.update(data);
      return this;
    },
    digest(encoding: 'hex') {
      if (encoding !== 'hex') throw new Error('only hex digests in a web page');
      return Array.from(h.digest(), (b) => b.toString(16).padStart(2, '0')).join('');
    },
  };
}

// node:fs
export const readFileSync = missing('reading files');
export const writeFileSync = missing('writing files');
export const existsSync = () => false;
export const mkdirSync = missing('directories');
export const openSync = missing('files');
export const closeSync = missing('files');
export const fstatSync = missing('files');
export const fsyncSync = missing('files');
export const readSync = missing('files');
export const writeSync = missing('files');
export const writevSync = missing('files');
export const truncateSync = missing('files');
export const linkSync = missing('files');
export const unlinkSync = missing('files');
export const readdirSync = missing('directories');
export const statSync = missing('files');
export const realpathSync = missing('files');

// node:os, node:path, node:url
export const hostname = () => 'browser';
export const dirname = (p: string) => p.replace(/\/[^/]*$/, '') || '/';
export const basename = (p: string) => p.replace(/^.*\//, '');
export const join = (...parts: string[]) => parts.join('/').replace(/\/+/g, '/');
export const resolve = join;
export const relative = (_from: string, to: string) => to;
export const isAbsolute = (p: string) => p.startsWith('/');
export const fileURLToPath = (u: string | URL) => new URL(String(u)).pathname;
export const pathToFileURL = (p: string) => new URL(`file://${p}`);

// node:worker_threads (the page trains and records on one thread)
export class Worker {
  constructor() {
    throw new Error('worker threads are not available in a web page');
  }
}
export class MessageChannel {
  constructor() {
    throw new Error('worker threads are not available in a web page');
  }
}
export const receiveMessageOnPort = (): undefined => undefined;

// node:zlib: no crc32 here, so the portable one runs
export default {};

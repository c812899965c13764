import { createHash } from 'node:crypto';

/**
 * SHA-256 (a standard, so identical everywhere) of byte views, truncated to 128 bits as hex.
 * Typed arrays are hashed as their little-endian bytes.
 */
export function hashBytes(...parts: ArrayBufferView[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return h.digest('hex').slice(0, 32);
}

/** The hash of a training state, as recorded in every step and keyframe. */
export function stateHashOf(step: number, optimT: number, params: ArrayBufferView, m: ArrayBufferView, v: ArrayBufferView): string {
  return hashBytes(new Float64Array([step, optimT]), params, m, v);
}

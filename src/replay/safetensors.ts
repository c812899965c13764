import type { FloatArray } from '../kernels/types.ts';

export interface NamedTensor {
  name: string;
  shape: number[];
  data: FloatArray;
}

/**
 * A safetensors file: u64 LE header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`
 * padded with spaces to 8-byte alignment, then the tensors' little-endian bytes back to back,
 * in the order given (offsets relative to the start of the data).
 */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new RangeError(`${t.name}: shape ${JSON.stringify(t.shape)} does not hold ${t.data.length} values`);
    if (t.name in header) throw new RangeError(`duplicate tensor name ${t.name}`);
    header[t.name] = { dtype: t.data instanceof Float32Array ? 'F32' : 'F64', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  const raw = new TextEncoder().encode(json);
  json += ' '.repeat((8 - ((8 + raw.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let o = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), o);
    o += t.data.byteLength;
  }
  return out;
}

import { Packr } from 'msgpackr';

/**
 * Plain msgpack: maps as maps (no msgpackr record extension), keys in insertion order (the
 * record builders fix it), bins for bytes. The same input gives the same bytes everywhere.
 */
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

export function pack(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function unpack(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

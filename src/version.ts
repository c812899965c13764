/** weft's version, written into every log header (tests check it equals package.json's). */
export const WEFT_VERSION = '0.1.0';

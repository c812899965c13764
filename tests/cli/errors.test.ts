import { describe, expect, it, vi } from 'vitest';
import { reportError } from '../../src/cli/errors.ts';
import { CodecError, ConfigError, EXIT, GoldenFileError, LogCorruptError, LogFormatError, RansError, UsageError, WeftError } from '../../src/errors.ts';

describe('errors carry their exit codes', () => {
  const cases: [Error, number][] = [
    [new UsageError('no such step'), EXIT.usage],
    [new ConfigError('optim.lr', 'must be > 0'), EXIT.usage],
    [new GoldenFileError('snapshots/x.golden.json', 'not valid JSON'), EXIT.usage],
    [new LogFormatError('not a weft log'), EXIT.usage],
    [new LogFormatError('format 9 is newer than this weft', EXIT.corrupt), EXIT.corrupt],
    [new LogCorruptError('a.weft', 120, 2, 'checksum mismatch'), EXIT.corrupt],
    // the decoders' errors: corrupt data even when no reader wrapped them with an offset
    [new CodecError('plane 2: rANS stream ended early'), EXIT.corrupt],
    [new RansError('bad rANS frequencies'), EXIT.corrupt],
    [Object.assign(new Error('ENOENT: no such file or directory, open \'x.weft\''), { code: 'ENOENT', path: 'x.weft' }), EXIT.usage],
    [new TypeError('x is not a function'), EXIT.internal],
  ];
  it.each(cases)('%s → its code, in one line', (e, code) => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (lines.push(String(s)), true));
    try {
      expect(reportError(e, 'replay')).toBe(code);
    } finally {
      spy.mockRestore();
    }
    expect(lines[0]).toMatch(new RegExp(`^weft replay: ${code === EXIT.internal ? 'internal error: ' : ''}`));
    // one line (an internal error adds how to get its stack trace)
    expect(lines.join('').trim().split('\n')).toHaveLength(code === EXIT.internal ? 2 : 1);
    if (e instanceof WeftError) expect(e.name).toBe(e.constructor.name);
  });
});

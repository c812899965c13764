/**
 * Every error weft raises on purpose, in one place: each carries the exit code the CLI returns
 * for it, and a message that is the whole story on one line (file, field or byte offset, what
 * was expected). The CLI maps no class itself (cli/errors.ts prints the line and returns the
 * code); anything else that escapes is an internal error, exit 4.
 */
export const EXIT = { ok: 0, differs: 1, usage: 2, corrupt: 3, internal: 4 } as const;

/** The base of weft's errors: a one-line message and its exit code. */
export class WeftError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad user input that is not a config (a missing file, a step out of range, a flag). Exit 2. */
export class UsageError extends WeftError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** Bad configuration: names the config path, and the scenario file when known. Exit 2. */
export class ConfigError extends WeftError {
  readonly path: string;
  /** The scenario file the config came from, when known. */
  readonly file: string | null;
  readonly reason: string;
  constructor(path: string, message: string, file: string | null = null) {
    super(`${file ? `${file}: ` : ''}${path ? `${path}: ` : ''}${message}`, EXIT.usage);
    this.path = path;
    this.file = file;
    this.reason = message;
  }
}

/** Corrupt or unreadable log data: names the file, byte offset and record. Exit 3. */
export class LogCorruptError extends WeftError {
  readonly file: string;
  readonly offsetByte: number;
  readonly record: number | null;
  constructor(file: string, offsetByte: number, record: number | null, what: string) {
    super(`${file}: corrupt${offsetByte >= 0 ? ` at byte ${offsetByte}` : ''}${record !== null ? ` (record ${record})` : ''}: ${what}`, EXIT.corrupt);
    this.file = file;
    this.offsetByte = offsetByte;
    this.record = record;
  }
}

/**
 * A log that could not be written (a full disk, a quota, an I/O error), naming the file, the
 * system's error and the last step complete in it, and — from the CLI — the command that
 * continues it. Exit 2, as for any file the system refuses (cli/errors.ts): the log is not
 * damaged — readable up to that step, its torn last frame dropped by readers — so 3 (corrupt
 * data) would send people looking for damage that is not there.
 */
export class LogWriteError extends WeftError {
  readonly file: string;
  readonly systemError: string;
  /** null: not even the header record is complete */
  readonly lastStep: number | null;
  constructor(file: string, systemError: string, lastStep: number | null, next: string | null = null) {
    const readable = lastStep === null ? 'nothing complete is in it' : `it is readable up to step ${lastStep}`;
    super(`${file}: cannot write the log (${systemError}); ${readable}${next ? `; ${next}` : ''}`, EXIT.usage);
    this.file = file;
    this.systemError = systemError;
    this.lastStep = lastStep;
  }
}

/** Not a weft log (exit 2, bad input), or a log this version cannot read (exit 3). */
export class LogFormatError extends WeftError {
  constructor(message: string, exitCode: number = EXIT.usage) {
    super(message, exitCode);
  }
}

/**
 * An encoded array that does not decode (log/codec.ts). Readers rethrow it as a LogCorruptError
 * naming the record's offset; one that escapes still says "corrupt", exit 3.
 */
export class CodecError extends WeftError {
  constructor(message: string) {
    super(message, EXIT.corrupt);
  }
}

/** A rANS block that does not decode (log/rans.ts); the codec names its plane. Exit 3. */
export class RansError extends WeftError {
  constructor(message: string) {
    super(message, EXIT.corrupt);
  }
}

/** A golden file that cannot be used: names the file and the field. Exit 2. */
export class GoldenFileError extends WeftError {
  readonly file: string;
  constructor(file: string, what: string) {
    super(`${file}: ${what}`, EXIT.usage);
    this.file = file;
  }
}

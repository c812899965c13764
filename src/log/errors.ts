/** Corrupt or unreadable log data: names the file, byte offset and record. CLI exit code 3. */
export class LogCorruptError extends Error {
  readonly exitCode = 3;
  readonly file: string;
  readonly offsetByte: number;
  readonly record: number | null;
  constructor(file: string, offsetByte: number, record: number | null, what: string) {
    super(`${file}: corrupt${offsetByte >= 0 ? ` at byte ${offsetByte}` : ''}${record !== null ? ` (record ${record})` : ''}: ${what}`);
    this.name = 'LogCorruptError';
    this.file = file;
    this.offsetByte = offsetByte;
    this.record = record;
  }
}

/** Not a weft log, or a log this version cannot read. CLI exit code 2 (bad input) or 3. */
export class LogFormatError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'LogFormatError';
    this.exitCode = exitCode;
  }
}

/** Bad configuration or arguments: names the config path or flag. CLI exit code 2. */
export class ConfigError extends Error {
  readonly path: string;
  /** The scenario file the config came from, when known. */
  readonly file: string | null;
  readonly reason: string;
  constructor(path: string, message: string, file: string | null = null) {
    super(`${file ? `${file}: ` : ''}${path ? `${path}: ` : ''}${message}`);
    this.name = 'ConfigError';
    this.path = path;
    this.file = file;
    this.reason = message;
  }
}

/** Bad user input that is not a config (a missing file, a step out of range). CLI exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Bad configuration or arguments: names the config path or flag. CLI exit code 2. */
export class ConfigError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'ConfigError';
    this.path = path;
  }
}

/** Bad user input that is not a config (a missing file, a step out of range). CLI exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

import { ConfigError } from '../../core/errors.ts';

/** A missing or bad command-line argument, reported like a config error on the flag. */
export class UsageArgError extends ConfigError {
  constructor(flag: string, expected: string, got?: unknown) {
    super(undefined, `--${flag}`, expected, got);
  }
}

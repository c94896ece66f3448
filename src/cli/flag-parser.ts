import { InvalidArgumentError } from 'commander';
import { InvalidValue } from '../config/values.js';

/**
 * A commander option parser from a config value parser (src/config/values.ts), so that a flag
 * and its config key accept the same values and say the same thing about a bad one (exit 2).
 */
export function flagParser<T>(parse: (value: unknown) => T, fromText: (text: string) => unknown = (text) => text): (text: string) => T {
  return (text: string): T => {
    try {
      return parse(fromText(text));
    } catch (error) {
      if (error instanceof InvalidValue) throw new InvalidArgumentError(`expected ${error.expectation}, got "${text}"`);
      throw error;
    }
  };
}

/** Finding and reading a config file (docs/config.md). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DroverError } from '../errors.js';
import { DEFAULT_CONFIG_FILE } from './schema.js';
import type { LoadedConfig } from './types.js';
import { ConfigValidator } from './validate.js';

/** `drover.config.json` in `cwd`, if there is one. */
export function findDefaultConfig(cwd: string): string | undefined {
  const candidate = join(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(candidate) ? DEFAULT_CONFIG_FILE : undefined;
}

/** "at position 57" in a JSON.parse message -> "line 4, column 12". */
function locate(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return message;
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${message.replace(/\s*\(line \d+ column \d+\)/, '')} (line ${line}, column ${column})`;
}

/** Parse config text; `label` names the file in messages, `dir` anchors relative paths. */
export function parseConfig(text: string, label: string, dir: string): LoadedConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DroverError('INVALID_OPTION', `${label}: not valid JSON: ${locate(text, (error as Error).message)}`);
  }
  return { label, dir, config: new ConfigValidator(label, dir).config(raw) };
}

/** Read and check a config file; `path` is relative to `cwd` unless absolute. */
export function loadConfig(path: string, cwd: string): LoadedConfig {
  const absolute = resolve(cwd, path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
    throw new DroverError('INVALID_OPTION', `${path}: cannot read the config file: ${why}`, { cause: error });
  }
  return parseConfig(text, path, dirname(absolute));
}

import { afterAll, describe, expect, it } from 'vitest';
import { planRun } from '../../../src/config/merge.js';
import { DroverError } from '../../../src/errors.js';
import { runCli } from '../../helpers/cli.js';
import { removeConfigDirs, writeConfig } from './config-run.js';

afterAll(removeConfigDirs);

const ok = { command: ['python3', 'model.py'], queues: ['inference'] };

/**
 * Each case: a config, the flags after `drover run --config drover.config.json`, the exact message
 * (after "drover.config.json: " unless it starts with the file name). `cli` cases run the real
 * CLI (exit code 2, the message on stderr); the others call planRun in this process.
 */
const CASES: { name: string; config: unknown; args?: string[]; message: string; cli?: true }[] = [
  {
    cli: true,
    name: 'a wrong type',
    config: { handlers: { model: { ...ok, concurrency: 'two' } } },
    message: 'drover.config.json: handlers.model.concurrency must be a positive integer, got "two"',
  },
  {
    name: 'a pipeline that is neither a count nor "auto"',
    config: { handlers: { model: { ...ok, pipeline: 'fast' } } },
    message: 'handlers.model.pipeline must be an integer >= 0 or "auto", got "fast"',
  },
  {
    name: 'zero where a positive integer is needed',
    config: { concurrency: 0, handlers: { model: ok } },
    message: 'concurrency must be a positive integer, got 0',
  },
  {
    cli: true,
    name: 'an unknown key in a handler, with a suggestion',
    config: { handlers: { model: { ...ok, concurency: 2 } } },
    message: 'unknown key handlers.model.concurency (did you mean "concurrency"?)',
  },
  {
    name: 'an unknown top-level key, kebab-case spelling',
    config: { 'load-timeout': '10m', handlers: { model: ok } },
    message: 'unknown key load-timeout (did you mean "loadTimeout"?)',
  },
  {
    name: 'an unknown key with nothing close',
    config: { colour: 'blue', handlers: { model: ok } },
    message: 'unknown key colour',
  },
  {
    name: 'a process-wide key inside a handler',
    config: { handlers: { model: { ...ok, redis: 'redis://other:6379' } } },
    message: 'handlers.model.redis: "redis" is a top-level key (one Redis session and one logger serve every handler); move it out of handlers.model',
  },
  {
    name: 'a handler key at the top level',
    config: { queues: ['inference'], handlers: { model: { command: ['x'] } } },
    message: 'queues: "queues" belongs inside a handler, e.g. handlers.<name>.queues',
  },
  {
    cli: true,
    name: 'a missing command',
    config: { handlers: { model: { queues: ['inference'] } } },
    message: 'handlers.model.command is missing: the program to run and its arguments, e.g. ["python3", "handler.py"]',
  },
  {
    name: 'a command given as a shell string',
    config: { handlers: { model: { command: 'python3 model.py' } } },
    message: 'handlers.model.command must be a non-empty list of strings, program first, e.g. ["python3", "handler.py"], got "python3 model.py"',
  },
  {
    cli: true,
    name: 'a queue served by two handlers',
    config: { handlers: { model: ok, thumbs: { command: ['./thumb.sh'], queues: ['thumbnails:3', 'inference:1'] } } },
    message: 'queue "inference" is served by both handlers.model and handlers.thumbs; a queue belongs to one handler',
  },
  {
    name: 'a queue listed twice by one handler',
    config: { handlers: { model: { ...ok, queues: ['a', 'b', 'a:2'] } } },
    message: 'handlers.model.queues lists queue "a" twice',
  },
  {
    name: 'an invalid queue name',
    config: { handlers: { model: { ...ok, queues: ['ok', 'not ok'] } } },
    message: 'handlers.model.queues[1] must be "NAME" or "NAME:WEIGHT" (NAME: 1-128 of A-Z a-z 0-9 _ . -, WEIGHT: an integer >= 1), got "not ok"',
  },
  {
    cli: true,
    name: 'a bad duration',
    config: { handlers: { model: { ...ok, loadTimeout: '10 minutes' } } },
    message: 'handlers.model.loadTimeout must be a duration such as "30s" or "10m", or a number of milliseconds, got "10 minutes"',
  },
  {
    name: 'a duration string without its unit',
    config: { grace: '30', handlers: { model: ok } },
    message: 'grace must be a duration such as "30s" or "10m", or a number of milliseconds, got "30"',
  },
  {
    name: 'a lease below its minimum',
    config: { handlers: { model: { ...ok, lease: '50ms' } } },
    message: 'handlers.model.lease must be a duration such as "30s" or "10m", or a number of milliseconds, at least 100ms, got "50ms"',
  },
  {
    name: 'a bad size',
    config: { handlers: { model: { ...ok, maxRss: 'lots' } } },
    message: 'handlers.model.maxRss must be a size such as "512MB" or "2G", or a number of bytes, got "lots"',
  },
  {
    name: 'a bad mode',
    config: { handlers: { model: { ...ok, mode: 'fast' } } },
    message: 'handlers.model.mode must be "long" or "oneshot", got "fast"',
  },
  {
    name: 'a non-string env value',
    config: { handlers: { model: { ...ok, env: { THREADS: 4 } } } },
    message: 'handlers.model.env.THREADS must be a string, got 4',
  },
  {
    name: 'a bad Redis URL',
    config: { redis: 'localhost:6379', handlers: { model: ok } },
    message: 'redis must be a redis:// or rediss:// URL, got "localhost:6379"',
  },
  {
    name: 'a handler name with a space',
    config: { handlers: { 'my model': ok } },
    message: 'handler name "my model" must be 1-64 of A-Z a-z 0-9 _ . -',
  },
  {
    name: 'a misspelt handlers key',
    config: { handler: { model: ok } },
    message: 'unknown key handler (did you mean "handlers"?)',
  },
  {
    name: 'a metrics port given as a string',
    config: { metricsPort: '9100', handlers: { model: ok } },
    message: 'metricsPort must be a port from 0 to 65535, got "9100"',
  },
  {
    name: 'a handler that is not an object',
    config: { handlers: { model: ['python3', 'model.py'] } },
    message: 'handlers.model must be an object, got ["python3","model.py"]',
  },
  {
    cli: true,
    name: 'invalid JSON',
    config: '{ "handlers": { "model": { "command": ["x"], } } }',
    message: 'drover.config.json: not valid JSON: ',
  },
  {
    name: 'no handlers and no command',
    config: { concurrency: 2 },
    message: 'drover.config.json: no handlers: add "handlers": {"NAME": {"command": ["python3", "handler.py"], "queues": ["NAME"]}}, or give a command after --',
  },
  {
    name: 'handlers and a command after --',
    config: { handlers: { model: ok } },
    args: ['--', 'python3', 'other.py'],
    message: 'drover.config.json defines handlers, so there must be no command after --; drop one or the other',
  },
  {
    cli: true,
    name: '-q with several handlers',
    config: { handlers: { model: ok, thumbs: { command: ['./thumb.sh'] } } },
    args: ['-q', 'jobs'],
    message: '-q/--queue would apply to every handler of drover.config.json, and a queue belongs to one handler: set handlers.NAME.queues in the file instead',
  },
];

/** "drover.config.json: MESSAGE" for a message relative to the file. */
const full = (message: string): string => (/^(drover\.config\.json|-q)/.test(message) ? message : `drover.config.json: ${message}`);

/** `-q ... --` style args, as planRun gets them from commander. */
function argsToRequest(args: string[] = []): { argv: string[]; flags: { queue?: { name: string }[] } } {
  const dash = args.indexOf('--');
  const argv = dash === -1 ? [] : args.slice(dash + 1);
  const q = args.indexOf('-q');
  return { argv, flags: q === -1 ? {} : { queue: [{ name: args[q + 1]! }] } };
}

describe('invalid configs: an INVALID_OPTION error naming the file and the key', () => {
  for (const c of CASES) {
    if (c.cli) {
      it(`drover run rejects ${c.name} with exit 2`, async () => {
        const { dir } = writeConfig(c.config);
        const run = await runCli(['run', '--config', 'drover.config.json', ...(c.args ?? [])], { cwd: dir });
        expect({ exitCode: run.exitCode, stdout: run.stdout }).toEqual({ exitCode: 2, stdout: '' });
        if (c.name === 'invalid JSON') expect(run.stderr).toMatch(/^drover: drover\.config\.json: not valid JSON: .+ \(line 1, column \d+\) \[INVALID_OPTION\]$/);
        else expect(run.stderr).toBe(`drover: ${full(c.message)} [INVALID_OPTION]`);
      });
    } else {
      it(`rejects ${c.name}`, () => {
        const { dir } = writeConfig(c.config);
        let thrown: unknown;
        try {
          planRun({ ...argsToRequest(c.args), configPath: 'drover.config.json', cwd: dir });
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(DroverError);
        expect(thrown).toMatchObject({ code: 'INVALID_OPTION', exitCode: 2, message: full(c.message) });
      });
    }
  }

  it('names a missing --config file', async () => {
    const { dir } = writeConfig({});
    const run = await runCli(['run', '--config', 'missing.json'], { cwd: dir });
    expect(run).toMatchObject({ exitCode: 2, stderr: 'drover: missing.json: cannot read the config file: no such file [INVALID_OPTION]' });
  });

  it('checks ./drover.config.json picked up from the current directory the same way', async () => {
    const { dir } = writeConfig({ handlers: { model: { ...ok, timeout: '1 hour' } } });
    const run = await runCli(['run'], { cwd: dir });
    expect(run).toMatchObject({
      exitCode: 2,
      stderr: 'drover: drover.config.json: handlers.model.timeout must be a duration such as "30s" or "10m", or a number of milliseconds, got "1 hour" [INVALID_OPTION]',
    });
  });

  it('without a command or a config file says how to give one', async () => {
    const { dir } = writeConfig({}, 'other.json');
    const run = await runCli(['run'], { cwd: dir });
    expect(run).toMatchObject({
      exitCode: 2,
      stderr: 'drover: no handler command: give one after -- (drover run -q jobs -- python3 handler.py), or a config file with --config FILE or as ./drover.config.json [INVALID_OPTION]',
    });
  });
});

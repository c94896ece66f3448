import { HANDLER_ENV, PROTOCOL_FD, PROTOCOL_VERSION } from '../protocol/messages.js';
import type { HandlerCommand } from './spawn-handler.js';

/** Per command (a pool passes the same object to every spawn): the supervisor's environment merged with the command's. */
const baseEnvs = new WeakMap<HandlerCommand, Readonly<Record<string, string>>>();

/**
 * The complete environment of a handler process: the supervisor's own, the command's `env` over
 * it, then `extraEnv`, then the protocol variables. The supervisor's environment is read once per
 * command, at its first spawn: copying `process.env` (a getter per variable) cost ~0.2 ms, a
 * noticeable share of a one-shot spawn. Drover never changes `process.env` while it runs.
 */
export function handlerEnv(cmd: HandlerCommand, extraEnv: Readonly<Record<string, string>>): Record<string, string> {
  let base = baseEnvs.get(cmd);
  if (base === undefined) {
    base = {
      ...(process.env as Record<string, string>),
      ...cmd.env,
      [HANDLER_ENV.protocolFd]: String(PROTOCOL_FD),
      [HANDLER_ENV.protocolVersion]: String(PROTOCOL_VERSION),
      PYTHONUNBUFFERED: cmd.env?.PYTHONUNBUFFERED ?? process.env.PYTHONUNBUFFERED ?? '1',
    };
    baseEnvs.set(cmd, base);
  }
  const env = { ...base, ...extraEnv };
  // The protocol variables win over extraEnv, as they always did.
  env[HANDLER_ENV.protocolFd] = base[HANDLER_ENV.protocolFd]!;
  env[HANDLER_ENV.protocolVersion] = base[HANDLER_ENV.protocolVersion]!;
  env.PYTHONUNBUFFERED = base.PYTHONUNBUFFERED!;
  return env;
}

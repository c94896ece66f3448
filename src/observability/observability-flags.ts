import type { Command } from 'commander';
import { flagParser } from '../cli/flag-parser.js';
import type { LogFormat } from '../cli/logger.js';
import { parseLogFormatValue, parsePortValue } from '../config/values.js';
import { DEFAULT_OBSERVABILITY_OPTIONS } from './observability-options.js';

/** `drover run` flags for metrics, health checks and log format (docs/observability.md). */
export interface ObservabilityFlags {
  metricsPort?: number;
  metricsHost?: string;
  logFormat?: LogFormat;
}

export function addObservabilityFlags(command: Command): Command {
  return command
    .option('--metrics-port <port>', 'serve Prometheus /metrics and /healthz, /readyz on this port; 0 = any free port (default: off)', flagParser(parsePortValue, (text) => (/^\d+$/.test(text) ? Number(text) : text)))
    .option('--metrics-host <address>', `address the metrics server binds to (default: ${DEFAULT_OBSERVABILITY_OPTIONS.host}, all interfaces)`)
    .option('--log-format <format>', 'json or pretty (default: pretty when stderr is a terminal, else json)', flagParser(parseLogFormatValue));
}


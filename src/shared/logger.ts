import { redactSecrets } from './redact';

/** Minimal structured logger; every line passes through secret redaction before it leaves the process. */
export interface Logger {
  info(message: string, properties?: Record<string, unknown>): void;
  warn(message: string, properties?: Record<string, unknown>): void;
  error(message: string, properties?: Record<string, unknown>): void;
}

type Sink = (level: 'info' | 'warn' | 'error', line: string) => void;

const format = (message: string, properties?: Record<string, unknown>) =>
  redactSecrets(properties && Object.keys(properties).length ? `${message} ${JSON.stringify(properties)}` : message);

/** A Logger writing to any sink, e.g. an InvocationContext's log / warn / error. */
export function createLogger(sink: Sink): Logger {
  return {
    info: (m, p) => sink('info', format(m, p)),
    warn: (m, p) => sink('warn', format(m, p)),
    error: (m, p) => sink('error', format(m, p)),
  };
}

export const consoleLogger: Logger = createLogger((level, line) =>
  level === 'info' ? console.log(line) : level === 'warn' ? console.warn(line) : console.error(line),
);

/** Error text safe to log: message only, redacted. */
export const errorText = (err: unknown): string =>
  redactSecrets(err instanceof Error ? `${err.name}: ${err.message}` : String(err));

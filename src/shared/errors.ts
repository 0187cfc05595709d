/** One problem with one field of some input. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** Invalid input: lists every field problem at once (HTTP 400 at the adapter). */
export class ValidationError extends Error {
  constructor(
    readonly subject: string,
    readonly problems: FieldProblem[],
  ) {
    super(`${subject}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
    this.name = 'ValidationError';
  }
}

/** A missing or invalid app setting; the message names every bad setting. */
export class ConfigError extends ValidationError {
  constructor(problems: FieldProblem[]) {
    super('Invalid configuration', problems);
    this.name = 'ConfigError';
  }
}

export type DeliveryFailureReason =
  | 'timeout'
  | 'network'
  | 'throttled'
  | 'server-error'
  | 'rejected'
  | 'error-in-body'
  | 'redirect'
  | 'blocked-url'
  | 'misconfigured';

/** A send that did not succeed. The message never contains the destination URL or a token. */
export class DeliveryError extends Error {
  constructor(
    readonly reason: DeliveryFailureReason,
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    /** From a `Retry-After` header, when the receiver sent one. */
    readonly retryAfterInMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** The addressed thing does not exist (HTTP 404). */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** The request conflicts with the current state, e.g. creating what exists (HTTP 409). */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** An If-Match precondition failed: the caller edited a stale version (HTTP 412). */
export class PreconditionFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreconditionFailedError';
  }
}

/** Missing (401) or insufficient (403) authorization. */
export class AuthError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

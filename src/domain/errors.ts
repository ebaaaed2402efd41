// Coded errors. Expected outcomes are values; these are for the unexpected and for bad input.

export type ErrorCode =
  | 'config.invalid'
  | 'config.missing_env'
  | 'config.not_found'
  | 'input.invalid'
  | 'store.unavailable'
  | 'store.locked'
  | 'store.conflict'
  | 'connector.rate_limited'
  | 'connector.transient'
  | 'connector.auth'
  | 'connector.invalid'
  | 'connector.not_found'
  | 'internal';

export class AppError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
  }
}

/** Bad input from a user (config, files, arguments): the CLI exits 2 and prints every problem. */
export class InputError extends AppError {
  readonly problems: string[];
  constructor(
    code: 'config.invalid' | 'config.missing_env' | 'config.not_found' | 'input.invalid',
    problems: string[],
  ) {
    super(code, problems.join('\n'));
    this.name = 'InputError';
    this.problems = problems;
  }
}

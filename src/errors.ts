// The one error catalog. Every failure a person or a client can see is a BootwrightError with a stable code;
// the code alone decides the HTTP status, the XML-RPC fault code and the CLI exit status, in this file only.

export const errorCodes = {
  E_INVALID: { http: 400, fault: 1, exit: 2 },
  E_USAGE: { http: 400, fault: 1, exit: 2 },
  E_NOT_FOUND: { http: 404, fault: 2, exit: 3 },
  E_DUPLICATE_NAME: { http: 409, fault: 3, exit: 4 },
  E_DUPLICATE_MAC: { http: 409, fault: 3, exit: 4 },
  E_DUPLICATE_IP: { http: 409, fault: 3, exit: 4 },
  E_DUPLICATE_HOSTNAME: { http: 409, fault: 3, exit: 4 },
  E_IN_USE: { http: 409, fault: 4, exit: 5 },
  E_TOO_LARGE: { http: 413, fault: 1, exit: 2 },
  E_UNAUTHORIZED: { http: 401, fault: 5, exit: 6 },
  E_FORBIDDEN: { http: 403, fault: 5, exit: 6 },
  E_TEMPLATE: { http: 500, fault: 6, exit: 7 },
  E_UNAVAILABLE: { http: 503, fault: 7, exit: 8 },
  E_TOO_MANY: { http: 429, fault: 7, exit: 8 },
  E_INTERNAL: { http: 500, fault: 9, exit: 1 },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class BootwrightError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'BootwrightError';
    this.code = code;
  }

  get httpStatus(): number {
    return errorCodes[this.code].http;
  }

  get faultCode(): number {
    return errorCodes[this.code].fault;
  }

  get exitCode(): number {
    return errorCodes[this.code].exit;
  }
}

export function invalid(message: string): BootwrightError {
  return new BootwrightError('E_INVALID', message);
}

export function notFound(message: string): BootwrightError {
  return new BootwrightError('E_NOT_FOUND', message);
}

/**
 * Turns anything thrown into a BootwrightError so that every edge reports the same way; unknown errors are bugs.
 * The stores report their own failures as BootwrightErrors (store/store-errors.ts).
 */
export function asBootwrightError(error: unknown): BootwrightError {
  if (error instanceof BootwrightError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC')
    return new BootwrightError('E_UNAVAILABLE', `The disk is full: ${message}. Free some space and retry.`);
  return new BootwrightError('E_INTERNAL', `Internal error: ${message}`);
}

/** Quotes a value the way every message in bootwright does, so that empty strings and spaces stay visible. */
export function quote(value: unknown): string {
  return JSON.stringify(typeof value === 'string' ? value : String(value));
}

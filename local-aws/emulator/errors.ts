/**
 * Errors of the local AWS emulator. Two families:
 * - {@link EmulatorError} and subclasses: the emulator itself cannot run
 *   (moto missing, botocore model unreadable, moto did not start).
 * - {@link ApiError}: an AWS API error answered on the wire, with the error
 *   code (`__type`) and HTTP status the service's model declares.
 */

/** Base class of every error the emulator raises about itself (not API errors). */
export class EmulatorError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmulatorError';
  }
}

/** The exact command that installs moto with its server (and botocore). */
export const MOTO_INSTALL_COMMAND = "python3 -m pip install 'moto[server]'";

/**
 * `moto_server` (or python3 / botocore, which come with it) is not installed.
 * The message names the one command that installs it.
 */
export class MotoMissingError extends EmulatorError {
  public constructor(detail: string, options?: { cause?: unknown }) {
    super(`moto_server is not available (${detail}). Install it with: ${MOTO_INSTALL_COMMAND}`, options);
    this.name = 'MotoMissingError';
  }
}

/** moto_server was found but did not start or answer in time. */
export class MotoStartError extends EmulatorError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MotoStartError';
  }
}

/** A botocore service model could not be found or read. */
export class ModelLoadError extends EmulatorError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelLoadError';
  }
}

/** A seeding helper (publishGuardDutyFinding, seedOrganization…) got bad input. */
export class SeedInputError extends EmulatorError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SeedInputError';
  }
}

/**
 * An AWS API error answered to the SDK: `code` becomes the `__type` body
 * member and the `x-amzn-errortype` header, so the SDK raises an error whose
 * `name` is `code`. `status` is the HTTP status (the model's
 * `error.httpStatusCode` for that exception when known).
 */
export class ApiError extends Error {
  public constructor(
    public readonly code: string,
    message: string,
    public readonly status: number = 400,
    /** Extra body members (e.g. ValidationException's `reason`, `fieldList`). */
    public readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * cordon's error classes: no AWS imports, so every layer (the pure `findings/`
 * and `runbooks/` included) may raise them.
 */
/**
 * Base class of every error cordon raises on purpose. Subclasses set `name`,
 * keep the `cause` and carry the context needed to act on the message.
 */
export class CordonError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CordonError';
  }
}

/** Bad input or configuration: the CLI exits 2 and nothing changes in AWS. */
export class ConfigurationError extends CordonError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

/** The input is not something cordon can read; the message names the item and the field. */
export class InputError extends ConfigurationError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputError';
  }
}

/** Assuming the member role failed (AccessDenied, missing role, bad external id…). */
export class AssumeRoleError extends CordonError {
  public constructor(
    message: string,
    public readonly roleArn: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AssumeRoleError';
  }
}

/** Name of an SDK error (`ThrottlingException`, `AccessDenied`…), or `Error`. */
export function errorName(err: unknown): string {
  if (err instanceof Error) return err.name;
  return 'Error';
}

/** A one-line description of an error, safe to print and to store in the audit trail. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const msg = err.message || err.name;
    return err.name && !msg.startsWith(err.name) ? `${err.name}: ${msg}` : msg;
  }
  return String(err);
}

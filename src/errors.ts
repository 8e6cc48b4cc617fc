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

/** Where a setting's value came from (or, for `missing`, that it was needed and nowhere). */
export type SettingSource = 'flag' | 'env' | 'context' | 'config' | 'default' | 'value' | 'missing';

/**
 * One bad setting: where its value came from, the key as the user wrote it,
 * and what is wrong.
 *
 * @example
 * { source: 'env', key: 'CORDON_CONCURRENCY', message: '"0" must be a whole number from 1 to 256' }
 * { source: 'context', key: 'cordon:homeRegion', message: 'expected a region such as us-east-1 (got "mars")' }
 */
export interface SettingProblem {
  readonly source: SettingSource;
  /** `CORDON_CONCURRENCY`, `--role-name`, `cordon:homeRegion`; keys judged together are joined (`cordon:alarmEmail and cordon:alarmTopicArn`). */
  readonly key: string;
  readonly message: string;
  /** The message is a sentence that names the keys itself (a required setting is missing: where to set it); it is printed alone. */
  readonly standalone?: boolean;
}

/** The line a problem prints as: `key: message`, or the message alone when it is standalone. */
export function problemLine(problem: SettingProblem): string {
  return problem.standalone === true ? problem.message : `${problem.key}: ${problem.message}`;
}

/**
 * Settings are invalid: `problems` lists every one, and the message has one
 * line per problem (under `heading`, as a list, when there is one).
 */
export class SettingsError extends ConfigurationError {
  public constructor(
    public readonly problems: readonly SettingProblem[],
    heading?: string,
  ) {
    const lines = problems.map(problemLine);
    super(heading === undefined ? lines.join('\n') : `${heading}\n  - ${lines.join('\n  - ')}`);
    this.name = 'SettingsError';
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

/**
 * Whether a finding is exempt cannot be told (its account's OUs cannot be
 * read): cordon neither exempts it nor acts on it. The message says why.
 */
export class ExemptionUnknownError extends CordonError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExemptionUnknownError';
  }
}

/**
 * A one-line description of an error, safe to print and to store in the audit
 * trail: its name and message (an ExemptionUnknownError's message alone says it).
 */
export function describeError(err: unknown): string {
  if (err instanceof ExemptionUnknownError) return err.message;
  if (err instanceof Error) {
    const msg = err.message || err.name;
    return err.name && !msg.startsWith(err.name) ? `${err.name}: ${msg}` : msg;
  }
  return String(err);
}

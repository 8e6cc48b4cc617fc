import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { EXTERNAL_ID_PATTERN, ROLE_NAME_PATTERN } from '../config/schemas';
import { AssumeRoleError, describeError } from '../errors';

/** How cordon assumes the member role that the StackSet deploys. */
export interface MemberRoleSettings {
  /** Role name in every member account. @default 'cordon-responder' */
  readonly roleName: string;
  /** External id the role's trust policy requires, if any. */
  readonly externalId?: string;
  /** AWS partition of the organization. @default 'aws' */
  readonly partition?: string;
  /** Requested session length. @default 3600 */
  readonly durationSeconds?: number;
}

/** Credentials are renewed this long before they expire. */
export const CREDENTIAL_REFRESH_MARGIN_MS = 5 * 60_000;

/** Validates a member role name and external id, naming what is wrong. */
export function validateRoleSettings(settings: MemberRoleSettings): string[] {
  const problems: string[] = [];
  if (!ROLE_NAME_PATTERN.test(settings.roleName)) {
    problems.push(`role name "${settings.roleName}" is not a valid IAM role name (1-64 of letters, digits and +=,.@_-)`);
  }
  if (settings.externalId !== undefined && !EXTERNAL_ID_PATTERN.test(settings.externalId)) {
    problems.push('external id must be 2-1224 characters of letters, digits and +=,.@:/_-');
  }
  return problems;
}

/** Turns any text into a valid STS role session name (`[\w+=,.@-]{2,64}`). */
export function sessionNameFor(label: string): string {
  const cleaned = `cordon-${label}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
  return cleaned.length >= 2 ? cleaned : 'cordon';
}

interface CachedCredentials {
  readonly promise: Promise<AwsCredentialIdentity>;
  expiresAtMs: number;
}

/**
 * One AssumeRole per (account, region), reused until shortly before expiry.
 * Concurrent callers for the same pair share the in-flight request, so a burst
 * of findings in one account costs one AssumeRole, not one per finding.
 */
export class MemberCredentialsCache {
  private readonly cache = new Map<string, CachedCredentials>();
  private readonly sessionLabels = new Map<string, string>();
  /** Number of AssumeRole calls made (for benchmarks and tests). */
  public assumeRoleCalls = 0;

  public constructor(
    private readonly stsFor: (region: string) => STSClient,
    private readonly settings: MemberRoleSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** The role ARN cordon assumes in `accountId`. */
  public roleArn(accountId: string): string {
    return `arn:${this.settings.partition ?? 'aws'}:iam::${accountId}:role/${this.settings.roleName}`;
  }

  /**
   * Names the next session opened for (account, region) after what caused it,
   * typically a finding id, so CloudTrail in the member account says why cordon came.
   */
  public labelNextSession(accountId: string, region: string, label: string): void {
    const key = `${accountId}|${region}`;
    if (!this.sessionLabels.has(key)) this.sessionLabels.set(key, label);
  }

  /** A credential provider for the SDK, backed by this cache. */
  public provider(accountId: string, region: string): AwsCredentialIdentityProvider {
    return () => this.get(accountId, region);
  }

  /** Cached credentials for (account, region), assuming the role when needed. */
  public get(accountId: string, region: string): Promise<AwsCredentialIdentity> {
    const key = `${accountId}|${region}`;
    const cached = this.cache.get(key);
    if (cached && cached.expiresAtMs - CREDENTIAL_REFRESH_MARGIN_MS > this.now()) return cached.promise;
    const entry: CachedCredentials = { promise: this.assume(accountId, region, key), expiresAtMs: Number.POSITIVE_INFINITY };
    this.cache.set(key, entry);
    entry.promise.then(
      (creds) => {
        entry.expiresAtMs = creds.expiration?.getTime() ?? this.now() + 15 * 60_000;
      },
      () => {
        // A failed AssumeRole is not cached: the next finding tries again.
        if (this.cache.get(key) === entry) this.cache.delete(key);
      },
    );
    return entry.promise;
  }

  private async assume(accountId: string, region: string, key: string): Promise<AwsCredentialIdentity> {
    const roleArn = this.roleArn(accountId);
    const label = this.sessionLabels.get(key) ?? `${accountId}-${region}`;
    this.sessionLabels.delete(key);
    this.assumeRoleCalls += 1;
    try {
      const out = await this.stsFor(region).send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: sessionNameFor(label),
          ExternalId: this.settings.externalId,
          DurationSeconds: this.settings.durationSeconds ?? 3600,
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) {
        throw new Error('AssumeRole returned no credentials');
      }
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
    } catch (err) {
      throw new AssumeRoleError(`cannot assume ${roleArn} in ${region}: ${describeError(err)}`, roleArn, { cause: err });
    }
  }
}

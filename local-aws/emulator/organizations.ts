/**
 * What the emulated services know about the AWS Organization: its management
 * account and its accounts. The source of truth is moto's Organizations (the
 * same organization the code under test created through the SDK), asked
 * through an injected {@link OrganizationsLookup}; `seedOrganization` can
 * declare one directly for tests that do not build an organization in moto.
 */

/** An organization as the emulator needs it. */
export interface OrganizationView {
  /** Unknown for a seeded organization that did not name it. */
  readonly managementAccountId: string | undefined;
  /** ACTIVE accounts (suspended ones cannot run GuardDuty or Security Hub). */
  readonly accountIds: ReadonlySet<string>;
}

/**
 * Look up the organization of the caller identified by an access key id
 * (moto maps keys to accounts). Resolves `undefined` when the caller is in no
 * organization.
 */
export type OrganizationsLookup = (accessKeyId: string) => Promise<OrganizationView | undefined>;

/**
 * Delegated administrators in AWS Organizations (moto's registry). AWS
 * registers a service's delegated administrator when GuardDuty's or Security
 * Hub's EnableOrganizationAdminAccount designates it, and lets delegated
 * administrators read the organization.
 */
export interface DelegationRegistry {
  /**
   * Register `accountId` for `servicePrincipal` (and enable the service's
   * trusted access), as the management account. False: the registry does not
   * support that service (the directory then remembers the delegation itself).
   */
  register(managementAccessKeyId: string, accountId: string, servicePrincipal: string): Promise<boolean>;
  /** Deregister it, as the management account. */
  deregister(managementAccessKeyId: string, accountId: string, servicePrincipal: string): Promise<void>;
  /**
   * Accounts registered as delegated administrators in the caller's
   * organization: of `servicePrincipal`, or of any service when omitted.
   */
  administrators(callerAccessKeyId: string, servicePrincipal?: string): Promise<ReadonlySet<string>>;
  /** Service principals with trusted access in the caller's organization (empty outside one). */
  trustedServices(callerAccessKeyId: string): Promise<ReadonlySet<string>>;
  /** An account of the caller's organization as Organizations DescribeAccount answers (wire shape), or undefined. */
  describeAccount(callerAccessKeyId: string, accountId: string): Promise<Readonly<Record<string, unknown>> | undefined>;
}

/**
 * Service principals AWS lets an organization delegate but moto does not
 * (moto's delegation list lacks them): their delegations live in the
 * {@link OrganizationDirectory}, and the local endpoint answers
 * Organizations' delegated-administrator operations for them.
 */
export const LOCALLY_DELEGATED_PRINCIPALS: ReadonlySet<string> = new Set(['account.amazonaws.com', 'securityhub.amazonaws.com']);

/**
 * Service principals AWS lets an organization give trusted access to but moto
 * does not know (moto's EnableAWSServiceAccess answers "unrecognized service
 * principal"): GuardDuty Malware Protection's, which the management account
 * trusts so that a delegated administrator other than itself can create
 * Malware Protection's service-linked role in member accounts
 * (https://docs.aws.amazon.com/guardduty/latest/ug/configure-malware-protection-guardduty-initiated-multi-account.html).
 * Their trusted access lives in the {@link OrganizationDirectory}.
 */
export const LOCALLY_TRUSTED_PRINCIPALS: ReadonlySet<string> = new Set(['malware-protection.guardduty.amazonaws.com']);

/** Services AWS allows only one delegated administrator per organization (AWS Account Management). */
export const SINGLE_DELEGATE_PRINCIPALS: ReadonlySet<string> = new Set(['account.amazonaws.com']);

/** Organization facts for the emulated services (seeded first, then moto). */
export class OrganizationDirectory {
  private seeded: OrganizationView | undefined;
  /** The access key the management account last used, to list accounts later on the admin's behalf. */
  private readonly managementKeys = new Map<string, string>();
  /** Delegations the registry cannot hold: service principal → account → when it was delegated. */
  private readonly localDelegations = new Map<string, Map<string, Date>>();
  /** Trusted access the registry cannot hold ({@link LOCALLY_TRUSTED_PRINCIPALS}): service principal → when enabled. */
  private readonly localTrusted = new Map<string, Date>();

  public constructor(
    private readonly lookup: OrganizationsLookup | undefined,
    private readonly delegation: DelegationRegistry | undefined = undefined,
  ) {}

  /**
   * Record a service's delegated administrator in AWS Organizations (not for
   * the management account itself). Without a registry, or for a service the
   * registry does not support, the directory remembers it.
   */
  public async registerDelegatedAdministrator(
    ctx: { accountId: string; accessKeyId: string },
    adminAccountId: string,
    servicePrincipal: string,
  ): Promise<void> {
    if (adminAccountId === ctx.accountId) return;
    const registered = this.delegation ? await this.delegation.register(ctx.accessKeyId, adminAccountId, servicePrincipal) : false;
    if (!registered) this.addLocalDelegate(adminAccountId, servicePrincipal, new Date());
  }

  /** Remove a service's delegated administrator from AWS Organizations. */
  public async deregisterDelegatedAdministrator(
    ctx: { accountId: string; accessKeyId: string },
    adminAccountId: string,
    servicePrincipal: string,
  ): Promise<void> {
    if (adminAccountId === ctx.accountId) return;
    if (this.removeLocalDelegate(adminAccountId, servicePrincipal)) return;
    if (this.delegation) await this.delegation.deregister(ctx.accessKeyId, adminAccountId, servicePrincipal);
  }

  /** Declare a delegated administrator directly (tests; services the registry does not support). */
  public seedDelegatedAdministrator(accountId: string, servicePrincipal: string): void {
    this.addLocalDelegate(accountId, servicePrincipal, new Date());
  }

  /** Record a delegation the registry cannot hold. */
  public addLocalDelegate(accountId: string, servicePrincipal: string, at: Date): void {
    const local = this.localDelegations.get(servicePrincipal) ?? new Map<string, Date>();
    if (!local.has(accountId)) local.set(accountId, at);
    this.localDelegations.set(servicePrincipal, local);
  }

  /** Forget a locally held delegation; false when there was none. */
  public removeLocalDelegate(accountId: string, servicePrincipal: string): boolean {
    return this.localDelegations.get(servicePrincipal)?.delete(accountId) ?? false;
  }

  /** Locally held delegations of a service (or of every service): account → when delegated. */
  public localDelegates(servicePrincipal?: string): ReadonlyMap<string, Date> {
    if (servicePrincipal !== undefined) return this.localDelegations.get(servicePrincipal) ?? new Map<string, Date>();
    const all = new Map<string, Date>();
    for (const delegates of this.localDelegations.values()) for (const [id, at] of delegates) if (!all.has(id)) all.set(id, at);
    return all;
  }

  /** True when the caller is a delegated administrator of `servicePrincipal` (of any service when omitted). */
  public async isDelegatedAdministrator(ctx: { accountId: string; accessKeyId: string }, servicePrincipal?: string): Promise<boolean> {
    if (this.localDelegates(servicePrincipal).has(ctx.accountId)) return true;
    if (!this.delegation) return false;
    return (await this.delegation.administrators(ctx.accessKeyId, servicePrincipal)).has(ctx.accountId);
  }

  /**
   * True when the caller's organization has trusted access enabled for
   * `servicePrincipal`. Without a registry (a seeded organization only) no
   * service has trusted access.
   */
  public async hasTrustedAccess(ctx: { accessKeyId: string }, servicePrincipal: string): Promise<boolean> {
    if (this.localTrusted.has(servicePrincipal)) return true;
    if (!this.delegation) return false;
    return (await this.delegation.trustedServices(ctx.accessKeyId)).has(servicePrincipal);
  }

  /**
   * Service principals with trusted access in the caller's organization:
   * the registry's plus those held here, with when each was enabled (the
   * registry's dates are not known here: undefined).
   */
  public async trustedServices(ctx: { accessKeyId: string }): Promise<ReadonlyMap<string, Date | undefined>> {
    const all = new Map<string, Date | undefined>();
    for (const p of this.delegation ? await this.delegation.trustedServices(ctx.accessKeyId) : []) all.set(p, undefined);
    for (const [p, at] of this.localTrusted) all.set(p, at);
    return all;
  }

  /** Trusted access for a principal moto does not know ({@link LOCALLY_TRUSTED_PRINCIPALS}); false when it was already on. */
  public enableLocalTrustedAccess(servicePrincipal: string, at: Date): boolean {
    if (this.localTrusted.has(servicePrincipal)) return false;
    this.localTrusted.set(servicePrincipal, at);
    return true;
  }

  /** Removes such trusted access. */
  public disableLocalTrustedAccess(servicePrincipal: string): void {
    this.localTrusted.delete(servicePrincipal);
  }

  /**
   * True when the organization whose management account is
   * `managementAccountId` has trusted access for `servicePrincipal`, asked
   * with the key that account last used (for work AWS does in the
   * background, which has no caller).
   */
  public async managementHasTrustedAccess(managementAccountId: string | undefined, servicePrincipal: string): Promise<boolean> {
    if (this.localTrusted.has(servicePrincipal)) return true;
    const key = managementAccountId ? this.managementKeys.get(managementAccountId) : undefined;
    return key !== undefined && (await this.hasTrustedAccess({ accessKeyId: key }, servicePrincipal));
  }

  /** An account's Organizations description (wire shape), when the registry can tell. */
  public async describeAccount(ctx: { accessKeyId: string }, accountId: string): Promise<Readonly<Record<string, unknown>> | undefined> {
    return this.delegation ? this.delegation.describeAccount(ctx.accessKeyId, accountId) : undefined;
  }

  /** Declare (or extend) a seeded organization. */
  public seed(managementAccountId: string | undefined, accountIds: readonly string[]): void {
    const merged = new Set([...(this.seeded?.accountIds ?? []), ...accountIds]);
    if (managementAccountId) merged.add(managementAccountId);
    this.seeded = { managementAccountId: managementAccountId ?? this.seeded?.managementAccountId, accountIds: merged };
  }

  /** The organization of a caller, or undefined. */
  public async forCaller(accountId: string, accessKeyId: string): Promise<OrganizationView | undefined> {
    const fromMoto = this.lookup ? await this.lookup(accessKeyId) : undefined;
    if (fromMoto) {
      if (fromMoto.managementAccountId === accountId) this.managementKeys.set(accountId, accessKeyId);
      return fromMoto;
    }
    return this.seeded?.accountIds.has(accountId) ? this.seeded : undefined;
  }

  /**
   * The organization whose management account is `managementAccountId`, read
   * with the key that account last used (for work AWS does in the background,
   * which has no caller); the seeded organization when that is the one.
   */
  public async organizationOfManagement(managementAccountId: string | undefined): Promise<OrganizationView | undefined> {
    const key = managementAccountId ? this.managementKeys.get(managementAccountId) : undefined;
    if (key && this.lookup) {
      const view = await this.lookup(key);
      if (view) return view;
    }
    return this.seeded && this.seeded.managementAccountId === managementAccountId ? this.seeded : undefined;
  }

  /**
   * The organization's current accounts as seen by its management account
   * (the delegated administrator may not list them itself). Falls back to the
   * caller's own view.
   */
  public async accountsOf(
    managementAccountId: string | undefined,
    callerAccountId: string,
    callerKey: string,
  ): Promise<OrganizationView | undefined> {
    const managementKey = managementAccountId ? this.managementKeys.get(managementAccountId) : undefined;
    if (managementKey && this.lookup) {
      const view = await this.lookup(managementKey);
      if (view) return view;
    }
    return this.forCaller(callerAccountId, callerKey);
  }
}

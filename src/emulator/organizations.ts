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
  readonly accountIds: ReadonlySet<string>;
}

/**
 * Look up the organization of the caller identified by an access key id
 * (moto maps keys to accounts). Resolves `undefined` when the caller is in no
 * organization.
 */
export type OrganizationsLookup = (accessKeyId: string) => Promise<OrganizationView | undefined>;

/** Organization facts for the emulated services (seeded first, then moto). */
export class OrganizationDirectory {
  private seeded: OrganizationView | undefined;
  /** The access key the management account last used, to list accounts later on the admin's behalf. */
  private readonly managementKeys = new Map<string, string>();

  public constructor(private readonly lookup: OrganizationsLookup | undefined) {}

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

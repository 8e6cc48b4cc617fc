/**
 * SDK clients for organization work: the caller's own account (default
 * credential chain) and the security account, reached through an assumed
 * role unless the caller is the security account itself. Built on the
 * project's ClientFactory (one client per service, account and region) and
 * MemberCredentialsCache (one AssumeRole per account and region, through
 * STS's regional endpoint).
 */
import { STSClient } from '@aws-sdk/client-sts';

import { ClientFactory, type ClientConstructor } from '../aws/clients';
import { MemberCredentialsCache } from '../aws/credentials';

/** Where each call is sent from. */
export interface OrgClients {
  /** A client with the caller's credentials. */
  home<C>(ctor: ClientConstructor<C>, region: string): C;
  /** A client acting as the security (delegated administrator) account. */
  admin<C>(ctor: ClientConstructor<C>, region: string): C;
}

/** Clients plus what must be released at the end. */
export interface OrgClientSet {
  /** Clients once the caller's account is known (the admin's own credentials are used when the caller is the admin). */
  forCaller(callerAccountId: string): OrgClients;
  /** Number of AssumeRole calls made into the security account. */
  assumeRoleCalls(): number;
  /** Closes the shared sockets. */
  close(): void;
}

/** Options of {@link buildOrgClients}. */
export interface OrgClientOptions {
  /** The security account; undefined when the caller is the security account (`cordon coverage`). */
  readonly adminAccountId: string | undefined;
  /** Role assumed in the security account when the caller is another account. */
  readonly adminRoleName: string;
  /** Sized to the fan-out. */
  readonly concurrency: number;
}

/** Builds the clients for `cordon enable` / `cordon coverage` and the enabler Lambda. */
export function buildOrgClients(options: OrgClientOptions): OrgClientSet {
  const factory: ClientFactory = new ClientFactory({
    // Each region runs a few calls at a time; leave room for discovery lookups in parallel.
    maxSockets: Math.max(16, options.concurrency * 4),
    // Only called once an admin client is requested, after `credentials` exists.
    memberCredentials: (accountId, region) => credentials.provider(accountId, region),
  });
  const credentials = new MemberCredentialsCache((region) => factory.home(STSClient, region), { roleName: options.adminRoleName });
  return {
    forCaller(callerAccountId: string): OrgClients {
      const adminAccountId = options.adminAccountId;
      const callerIsAdmin = adminAccountId === undefined || callerAccountId === adminAccountId;
      return {
        home: (ctor, region) => factory.home(ctor, region),
        admin: (ctor, region) => (callerIsAdmin ? factory.home(ctor, region) : factory.member(ctor, adminAccountId, region)),
      };
    },
    assumeRoleCalls: () => credentials.assumeRoleCalls,
    close: () => factory.destroy(),
  };
}

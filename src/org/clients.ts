/**
 * SDK clients for organization work: the caller's own account (default
 * credential chain) and the security account, reached through an assumed
 * role unless the caller is the security account itself. Built on the
 * project's ClientFactory (one client per service, account and region) and
 * MemberCredentialsCache (one AssumeRole per account and region, through
 * STS's regional endpoint). The role's ARN is in the caller's partition
 * (`arn:aws-us-gov:…` from GovCloud), known once the caller's identity is.
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
  /** The role assumed in the security account; undefined when the caller is the security account. */
  readonly adminRoleArn: string | undefined;
}

/** The caller, from STS GetCallerIdentity. */
export interface CallerIdentity {
  readonly accountId: string;
  /** `aws`, `aws-us-gov`, `aws-cn`… (the second field of the caller's ARN). */
  readonly partition: string;
}

/** Clients plus what must be released at the end. */
export interface OrgClientSet {
  /** A client with the caller's credentials, before its identity is known (STS GetCallerIdentity). */
  home<C>(ctor: ClientConstructor<C>, region: string): C;
  /** Clients once the caller is known (the admin's own credentials are used when the caller is the admin). */
  forCaller(caller: CallerIdentity): OrgClients;
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
  // Created by forCaller, once the caller's partition is known; a process serves one caller (one partition).
  let credentials: { readonly cache: MemberCredentialsCache; readonly partition: string } | undefined;
  const factory: ClientFactory = new ClientFactory({
    // Each region runs a few calls at a time; leave room for discovery lookups in parallel.
    maxSockets: Math.max(16, options.concurrency * 4),
    memberCredentials: (accountId, region) => {
      if (!credentials) throw new Error('clients acting as the security account are built by forCaller, once the caller is known');
      return credentials.cache.provider(accountId, region);
    },
  });
  return {
    home: (ctor, region) => factory.home(ctor, region),
    forCaller(caller: CallerIdentity): OrgClients {
      const adminAccountId = options.adminAccountId;
      if (adminAccountId === undefined || caller.accountId === adminAccountId) {
        return {
          home: (ctor, region) => factory.home(ctor, region),
          admin: (ctor, region) => factory.home(ctor, region),
          adminRoleArn: undefined,
        };
      }
      if (credentials && credentials.partition !== caller.partition) {
        throw new Error(`these clients serve partition ${credentials.partition}, not ${caller.partition}`);
      }
      credentials ??= {
        cache: new MemberCredentialsCache((region) => factory.home(STSClient, region), {
          roleName: options.adminRoleName,
          partition: caller.partition,
        }),
        partition: caller.partition,
      };
      const cache = credentials.cache;
      return {
        home: (ctor, region) => factory.home(ctor, region),
        admin: (ctor, region) => factory.member(ctor, adminAccountId, region),
        adminRoleArn: cache.roleArn(adminAccountId),
      };
    },
    assumeRoleCalls: () => credentials?.cache.assumeRoleCalls ?? 0,
    close: () => factory.destroy(),
  };
}

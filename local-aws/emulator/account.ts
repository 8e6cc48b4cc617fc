/**
 * The Account API's region opt-in view: ListRegions and GetRegionOptStatus
 * (moto lacks them). Every account starts with the commercial regions that
 * are on by default as ENABLED_BY_DEFAULT and the opt-in regions DISABLED;
 * `AwsEmulator.setRegionOptStatus` changes one.
 */
import type {
  GetRegionOptStatusRequest,
  GetRegionOptStatusResponse,
  ListRegionsRequest,
  ListRegionsResponse,
  RegionOptStatus,
} from '@aws-sdk/client-account';

import { TokenBucket } from '../faults/token-bucket';
import { ApiError } from './errors';
import type { OrganizationDirectory } from './organizations';
import { typed, type CallContext, type Handler } from './service';
import { key, paginate } from './util';

/** AWS Account Management's service principal in AWS Organizations. */
export const ACCOUNT_MANAGEMENT_PRINCIPAL = 'account.amazonaws.com';

/** Commercial regions enabled by default in every account. */
export const DEFAULT_REGIONS: readonly string[] = [
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ca-central-1',
  'eu-central-1',
  'eu-north-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
];

/** Commercial opt-in regions (disabled until an account opts in). */
export const OPT_IN_REGIONS: readonly string[] = [
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-west-1',
  'eu-central-2',
  'eu-south-1',
  'eu-south-2',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
];

/** Every commercial region the emulator knows, sorted. */
export const ALL_REGIONS: readonly string[] = [...DEFAULT_REGIONS, ...OPT_IN_REGIONS].sort();

/** Per-account region opt-in status. */
export class RegionOptStore {
  private readonly overrides = new Map<string, RegionOptStatus>();

  /** The status of a region for an account. */
  public status(accountId: string, region: string): RegionOptStatus {
    return this.overrides.get(key(accountId, region)) ?? (DEFAULT_REGIONS.includes(region) ? 'ENABLED_BY_DEFAULT' : 'DISABLED');
  }

  /** Set the status of a region for an account. */
  public set(accountId: string, region: string, status: RegionOptStatus): void {
    this.overrides.set(key(accountId, region), status);
  }
}

/**
 * "Rate of ListRegions requests per account: 5 per second, burst to 5 per
 * second" (https://docs.aws.amazon.com/accounts/latest/reference/quotas.html).
 */
export const LIST_REGIONS_PER_SECOND = 5;

/** The Account API handlers, keyed by operation name. */
export function accountHandlers(store: RegionOptStore, organizations: OrganizationDirectory): Record<string, Handler> {
  // One bucket per calling account: the quota is the caller's, whichever account it asks about.
  // The buckets read the emulator's clock as of the call being answered.
  const listRegionsBuckets = new Map<string, TokenBucket>();
  let callMs = 0;
  const throttleListRegions = (ctx: CallContext): void => {
    callMs = ctx.now.getTime();
    let bucket = listRegionsBuckets.get(ctx.accountId);
    if (!bucket) {
      bucket = new TokenBucket(LIST_REGIONS_PER_SECOND, LIST_REGIONS_PER_SECOND, () => callMs);
      listRegionsBuckets.set(ctx.accountId, bucket);
    }
    if (!bucket.take()) throw new ApiError('TooManyRequestsException', 'Rate exceeded', 429);
  };

  /**
   * The account a call is about. AWS (the AccountId member's documentation):
   * another account may be named only by the management account or the
   * delegated administrator of AWS Account Management, only for a member
   * account of the same organization, and only once the organization has
   * trusted access for account.amazonaws.com; the management account cannot
   * name itself.
   */
  const targetAccount = async (ctx: CallContext, requested: string | undefined): Promise<string> => {
    if (requested === undefined) return ctx.accountId;
    const denied = (why: string): ApiError =>
      new ApiError(
        'AccessDeniedException',
        `User: arn:aws:sts::${ctx.accountId}:assumed-role/caller is not authorized to perform: account:${ctx.operation} (${why})`,
      );
    const org = await organizations.forCaller(ctx.accountId, ctx.accessKeyId);
    if (!org) throw denied('the calling account is not in an organization: call without AccountId');
    if (requested === ctx.accountId && org.managementAccountId === ctx.accountId) {
      throw new ApiError(
        'ValidationException',
        "The management account can't specify its own AccountId; call the operation without AccountId.",
        400,
        {
          reason: 'fieldValidationFailed',
          fieldList: [{ name: 'AccountId', message: 'the management account cannot specify its own AccountId' }],
        },
      );
    }
    if (!(await organizations.hasTrustedAccess(ctx, ACCOUNT_MANAGEMENT_PRINCIPAL))) {
      throw denied('Your organization must first enable trusted access with AWS Account Management.');
    }
    const allowed =
      org.managementAccountId === ctx.accountId || (await organizations.isDelegatedAdministrator(ctx, ACCOUNT_MANAGEMENT_PRINCIPAL));
    if (!allowed) {
      throw denied(
        `account ${ctx.accountId} is neither the management account nor the AWS Account Management delegated administrator of its organization`,
      );
    }
    if (!org.accountIds.has(requested)) throw denied(`account ${requested} is not an active member account of the organization`);
    return requested;
  };

  return {
    ListRegions: typed<ListRegionsRequest, ListRegionsResponse>(async (ctx, input) => {
      throttleListRegions(ctx);
      const accountId = await targetAccount(ctx, input.AccountId);
      const wanted =
        input.RegionOptStatusContains && input.RegionOptStatusContains.length > 0 ? new Set(input.RegionOptStatusContains) : undefined;
      const regions = ALL_REGIONS.map((r) => ({ RegionName: r, RegionOptStatus: store.status(accountId, r) })).filter(
        (r) => !wanted || wanted.has(r.RegionOptStatus),
      );
      const page = paginate(regions, input.MaxResults, input.NextToken, 50, 'ValidationException');
      return { Regions: page.items, NextToken: page.nextToken };
    }),

    GetRegionOptStatus: typed<GetRegionOptStatusRequest, GetRegionOptStatusResponse>(async (ctx, input) => {
      const accountId = await targetAccount(ctx, input.AccountId);
      const region = input.RegionName ?? '';
      if (!ALL_REGIONS.includes(region)) {
        throw new ApiError('ValidationException', `Invalid region name: ${region}`, 400, {
          reason: 'fieldValidationFailed',
          fieldList: [{ name: 'RegionName', message: `${region} is not a region` }],
        });
      }
      return { RegionName: region, RegionOptStatus: store.status(accountId, region) };
    }),
  };
}

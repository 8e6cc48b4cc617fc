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

import { ApiError } from './errors';
import type { OrganizationDirectory } from './organizations';
import { typed, type CallContext, type Handler } from './service';
import { key, paginate } from './util';

/** Commercial regions enabled by default in every account. */
export const DEFAULT_REGIONS: readonly string[] = [
  'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2',
  'ca-central-1', 'eu-central-1', 'eu-north-1', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'sa-east-1',
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
];

/** Commercial opt-in regions (disabled until an account opts in). */
export const OPT_IN_REGIONS: readonly string[] = [
  'af-south-1', 'ap-east-1', 'ap-east-2', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5',
  'ap-southeast-6', 'ap-southeast-7', 'ca-west-1', 'eu-central-2', 'eu-south-1', 'eu-south-2', 'il-central-1',
  'me-central-1', 'me-south-1', 'mx-central-1',
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

/** The Account API handlers, keyed by operation name. */
export function accountHandlers(store: RegionOptStore, organizations: OrganizationDirectory): Record<string, Handler> {
  const targetAccount = async (ctx: CallContext, requested: string | undefined): Promise<string> => {
    if (requested === undefined || requested === ctx.accountId) return ctx.accountId;
    // AWS: the management account, or the delegated administrator of AWS Account Management.
    const org = await organizations.forCaller(ctx.accountId, ctx.accessKeyId);
    const allowed =
      org !== undefined &&
      org.accountIds.has(requested) &&
      (org.managementAccountId === ctx.accountId || (await organizations.isDelegatedAdministrator(ctx, 'account.amazonaws.com')));
    if (!allowed) {
      throw new ApiError(
        'AccessDeniedException',
        `Account ${ctx.accountId} is neither the management account nor the Account Management delegated administrator of an organization that contains ${requested}`,
      );
    }
    return requested;
  };

  return {
    ListRegions: typed<ListRegionsRequest, ListRegionsResponse>(async (ctx, input) => {
      const accountId = await targetAccount(ctx, input.AccountId);
      const wanted = input.RegionOptStatusContains && input.RegionOptStatusContains.length > 0 ? new Set(input.RegionOptStatusContains) : undefined;
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

/**
 * cordon's lists in the GuardDuty administrator's detector of one region
 * (GuardDuty I/O only): a threat list and, once an analyst trusts an
 * address, a trusted list. Entity sets (IPv4 and domains) where the region
 * has them, IP sets (threat intel set, IP set: IPv4 only) where it does not.
 * The administrator's lists apply to every member ("Only users of the
 * administrator account can manage entity sets, which automatically apply to
 * member accounts": GuardDuty API Reference, CreateThreatEntitySet).
 *
 * After the list object changes, GuardDuty reads it again only when the set
 * is updated and activated again; while a set is ACTIVATING, DEACTIVATING or
 * DELETE_PENDING no action is possible ("Updating an entity list or IP
 * address list", https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-lists-update-procedure.html).
 * A region holds at most six threat lists (entity and IP together) and one
 * trusted list of each kind (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_upload-lists.html).
 */
import {
  CreateIPSetCommand,
  CreateThreatEntitySetCommand,
  CreateThreatIntelSetCommand,
  CreateTrustedEntitySetCommand,
  GetIPSetCommand,
  GetThreatEntitySetCommand,
  GetThreatIntelSetCommand,
  GetTrustedEntitySetCommand,
  type GuardDutyClient,
  ListDetectorsCommand,
  ListIPSetsCommand,
  ListThreatEntitySetsCommand,
  ListThreatIntelSetsCommand,
  ListTrustedEntitySetsCommand,
  UpdateIPSetCommand,
  UpdateThreatEntitySetCommand,
  UpdateThreatIntelSetCommand,
  UpdateTrustedEntitySetCommand,
} from '@aws-sdk/client-guardduty';
import { describeError } from '../errors';
import type { ListFormat, ListName } from './ledger';

/** The names cordon gives its sets (GuardDuty: letters, digits, `-` and `_`). */
export const SET_NAMES: Readonly<Record<ListName, string>> = { threat: 'cordon-threats', trusted: 'cordon-trusted' };

/** GuardDuty's per-region limit on threat lists, entity and IP lists together. */
export const MAX_THREAT_LISTS_PER_REGION = 6;

/** A set as GuardDuty describes it. */
interface SetInfo {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly errorDetails?: string;
}

/** The calls for one kind of set, the same for all four kinds. */
interface SetApi {
  list(gd: GuardDutyClient, detectorId: string): Promise<string[]>;
  get(gd: GuardDutyClient, detectorId: string, id: string): Promise<SetInfo>;
  create(gd: GuardDutyClient, detectorId: string, name: string, location: string, owner: string): Promise<string>;
  update(
    gd: GuardDutyClient,
    detectorId: string,
    id: string,
    change: { location?: string; activate: boolean; owner?: string },
  ): Promise<void>;
}

/** Every page of a list operation's ids. */
async function allIds(page: (token: string | undefined) => Promise<{ ids?: string[]; next?: string }>): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const out = await page(token);
    ids.push(...(out.ids ?? []));
    token = out.next;
  } while (token);
  return ids;
}

/** The four kinds of set, as one table. */
const SETS: Readonly<Record<ListFormat, Readonly<Record<ListName, SetApi>>>> = {
  entity: {
    threat: {
      list: (gd, DetectorId) =>
        allIds(async (NextToken) => {
          const o = await gd.send(new ListThreatEntitySetsCommand({ DetectorId, NextToken }));
          return { ids: o.ThreatEntitySetIds, next: o.NextToken };
        }),
      get: async (gd, DetectorId, id) => {
        const o = await gd.send(new GetThreatEntitySetCommand({ DetectorId, ThreatEntitySetId: id }));
        return { id, name: o.Name ?? '', status: o.Status ?? '', errorDetails: o.ErrorDetails };
      },
      create: async (gd, DetectorId, Name, Location, ExpectedBucketOwner) =>
        (
          await gd.send(
            new CreateThreatEntitySetCommand({ DetectorId, Name, Format: 'TXT', Location, ExpectedBucketOwner, Activate: true }),
          )
        ).ThreatEntitySetId ?? '',
      update: async (gd, DetectorId, ThreatEntitySetId, c) => {
        await gd.send(
          new UpdateThreatEntitySetCommand({
            DetectorId,
            ThreatEntitySetId,
            Location: c.location,
            ExpectedBucketOwner: c.owner,
            Activate: c.activate,
          }),
        );
      },
    },
    trusted: {
      list: (gd, DetectorId) =>
        allIds(async (NextToken) => {
          const o = await gd.send(new ListTrustedEntitySetsCommand({ DetectorId, NextToken }));
          return { ids: o.TrustedEntitySetIds, next: o.NextToken };
        }),
      get: async (gd, DetectorId, id) => {
        const o = await gd.send(new GetTrustedEntitySetCommand({ DetectorId, TrustedEntitySetId: id }));
        return { id, name: o.Name ?? '', status: o.Status ?? '', errorDetails: o.ErrorDetails };
      },
      create: async (gd, DetectorId, Name, Location, ExpectedBucketOwner) =>
        (
          await gd.send(
            new CreateTrustedEntitySetCommand({ DetectorId, Name, Format: 'TXT', Location, ExpectedBucketOwner, Activate: true }),
          )
        ).TrustedEntitySetId ?? '',
      update: async (gd, DetectorId, TrustedEntitySetId, c) => {
        await gd.send(
          new UpdateTrustedEntitySetCommand({
            DetectorId,
            TrustedEntitySetId,
            Location: c.location,
            ExpectedBucketOwner: c.owner,
            Activate: c.activate,
          }),
        );
      },
    },
  },
  ip: {
    threat: {
      list: (gd, DetectorId) =>
        allIds(async (NextToken) => {
          const o = await gd.send(new ListThreatIntelSetsCommand({ DetectorId, NextToken }));
          return { ids: o.ThreatIntelSetIds, next: o.NextToken };
        }),
      get: async (gd, DetectorId, id) => {
        const o = await gd.send(new GetThreatIntelSetCommand({ DetectorId, ThreatIntelSetId: id }));
        return { id, name: o.Name ?? '', status: o.Status ?? '' };
      },
      create: async (gd, DetectorId, Name, Location, ExpectedBucketOwner) =>
        (await gd.send(new CreateThreatIntelSetCommand({ DetectorId, Name, Format: 'TXT', Location, ExpectedBucketOwner, Activate: true })))
          .ThreatIntelSetId ?? '',
      update: async (gd, DetectorId, ThreatIntelSetId, c) => {
        await gd.send(
          new UpdateThreatIntelSetCommand({
            DetectorId,
            ThreatIntelSetId,
            Location: c.location,
            ExpectedBucketOwner: c.owner,
            Activate: c.activate,
          }),
        );
      },
    },
    trusted: {
      list: (gd, DetectorId) =>
        allIds(async (NextToken) => {
          const o = await gd.send(new ListIPSetsCommand({ DetectorId, NextToken }));
          return { ids: o.IpSetIds, next: o.NextToken };
        }),
      get: async (gd, DetectorId, id) => {
        const o = await gd.send(new GetIPSetCommand({ DetectorId, IpSetId: id }));
        return { id, name: o.Name ?? '', status: o.Status ?? '' };
      },
      create: async (gd, DetectorId, Name, Location, ExpectedBucketOwner) =>
        (await gd.send(new CreateIPSetCommand({ DetectorId, Name, Format: 'TXT', Location, ExpectedBucketOwner, Activate: true })))
          .IpSetId ?? '',
      update: async (gd, DetectorId, IpSetId, c) => {
        await gd.send(
          new UpdateIPSetCommand({ DetectorId, IpSetId, Location: c.location, ExpectedBucketOwner: c.owner, Activate: c.activate }),
        );
      },
    },
  },
};

/** Every IAM action the sets need in the security account (the responder's and the CLI's role). */
export const GUARDDUTY_SET_PERMISSIONS: readonly string[] = [
  'guardduty:ListDetectors',
  ...['ThreatEntitySet', 'TrustedEntitySet', 'ThreatIntelSet', 'IPSet'].flatMap((s) => [
    `guardduty:Create${s}`,
    `guardduty:Get${s}`,
    `guardduty:Update${s}`,
    `guardduty:List${s}s`,
  ]),
];

/** GuardDuty's service-linked role in the administrator account: it reads the lists of IP sets (threat intel sets, IP sets). */
export const GUARDDUTY_SERVICE_ROLE_PATH = 'aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty';

/**
 * What the caller needs on GuardDuty's service-linked role to add, activate or
 * change the location of an IP set (threat intel set, IP set): GuardDuty puts
 * a policy on that role to read the list ("Prerequisites for IP address
 * lists", https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-lists-prerequisites.html).
 * Not API calls cordon makes: permissions GuardDuty checks.
 */
export const GUARDDUTY_LIST_ROLE_PERMISSIONS: readonly string[] = ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'];

/** How one list ended in one region. */
export interface SetSync {
  readonly region: string;
  readonly list: ListName;
  readonly format: ListFormat;
  /**
   * `updated`/`created`: GuardDuty reads the new list; `deactivated`: the list is empty; `unchanged`: empty and no set;
   * `pending`: GuardDuty is busy with the set, try later; `failed`.
   */
  readonly status: 'created' | 'updated' | 'deactivated' | 'unchanged' | 'pending' | 'failed';
  readonly detail: string;
  readonly setId?: string;
}

/** What a region's sets need: the lists' locations, which are empty, and the bucket's owner. */
export interface RegionLists {
  readonly location: (list: ListName, format: ListFormat) => string;
  readonly empty: (list: ListName, format: ListFormat) => boolean;
  /** The set was last given this very list: nothing to do. */
  readonly inSync: (list: ListName, format: ListFormat) => boolean;
  /** The security account, owner of the bucket (`ExpectedBucketOwner`: GuardDuty refuses a bucket someone else owns). */
  readonly bucketOwner: string;
}

/** The administrator's detector in a region. */
async function detectorOf(gd: GuardDutyClient, region: string): Promise<string> {
  const id = (await gd.send(new ListDetectorsCommand({}))).DetectorIds?.[0];
  if (!id) throw new Error(`no GuardDuty detector in the security account in ${region}`);
  return id;
}

/** Entity sets where the region has them: an unknown operation (404) means it has only IP sets. */
async function formatOf(gd: GuardDutyClient, detectorId: string): Promise<ListFormat> {
  try {
    await gd.send(new ListThreatEntitySetsCommand({ DetectorId: detectorId, MaxResults: 1 }));
    return 'entity';
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if ((err as Error).name === 'UnknownOperationException' || status === 404) return 'ip';
    throw err;
  }
}

/** GuardDuty statuses during which a set takes no action. */
const BUSY = new Set(['ACTIVATING', 'DEACTIVATING', 'DELETE_PENDING']);

/**
 * Points cordon's sets of one region at the lists (one update and
 * activation per set), creating a set the first time its list has entries
 * and deactivating it when its list is empty. Never touches a set cordon did
 * not name; reports rather than throws, one line per list.
 */
export async function syncRegion(gd: GuardDutyClient, region: string, lists: RegionLists, dryRun: boolean): Promise<SetSync[]> {
  let detectorId: string;
  let format: ListFormat;
  try {
    detectorId = await detectorOf(gd, region);
    format = await formatOf(gd, detectorId);
  } catch (err) {
    return (['threat', 'trusted'] as const).map((list) => ({
      region,
      list,
      format: 'entity',
      status: 'failed',
      detail: describeError(err),
    }));
  }
  const results: SetSync[] = [];
  for (const list of ['threat', 'trusted'] as const) results.push(await syncSet(gd, region, detectorId, format, list, lists, dryRun));
  return results;
}

async function syncSet(
  gd: GuardDutyClient,
  region: string,
  detectorId: string,
  format: ListFormat,
  list: ListName,
  lists: RegionLists,
  dryRun: boolean,
): Promise<SetSync> {
  const api = SETS[format][list];
  const base = { region, list, format };
  try {
    // eslint-disable-next-line cordon/no-unbounded-fan-out -- a region holds at most six threat lists and one trusted list of a kind
    const sets = await Promise.all((await api.list(gd, detectorId)).map((id) => api.get(gd, detectorId, id)));
    const own = sets.find((s) => s.name === SET_NAMES[list]);
    const empty = lists.empty(list, format);
    const location = lists.location(list, format);
    if (!own) {
      if (empty) return { ...base, status: 'unchanged', detail: 'nothing to list' };
      const quotaProblem = await createBlocked(gd, detectorId, format, list, sets);
      if (quotaProblem) return { ...base, status: 'failed', detail: quotaProblem };
      if (dryRun) return { ...base, status: 'created', detail: `would create ${SET_NAMES[list]} (${format} list)` };
      const setId = await api.create(gd, detectorId, SET_NAMES[list], location, lists.bucketOwner);
      return { ...base, status: 'created', setId, ...(await statusAfter(api, gd, detectorId, setId, 'created')) };
    }
    if (BUSY.has(own.status))
      return {
        ...base,
        setId: own.id,
        status: 'pending',
        detail: `GuardDuty is ${own.status.toLowerCase()} the set: run \`cordon intel sync\` later`,
      };
    if (empty) {
      if (own.status === 'INACTIVE') return { ...base, setId: own.id, status: 'unchanged', detail: 'empty and inactive' };
      if (!dryRun) await api.update(gd, detectorId, own.id, { activate: false });
      return { ...base, setId: own.id, status: 'deactivated', detail: 'list empty: set deactivated' };
    }
    if (own.status === 'ACTIVE' && lists.inSync(list, format)) return { ...base, setId: own.id, status: 'unchanged', detail: 'in sync' };
    if (dryRun) return { ...base, setId: own.id, status: 'updated', detail: 'would update and activate the set' };
    await api.update(gd, detectorId, own.id, { location, activate: true, owner: lists.bucketOwner });
    return { ...base, setId: own.id, status: 'updated', ...(await statusAfter(api, gd, detectorId, own.id, 'updated')) };
  } catch (err) {
    return { ...base, status: 'failed', detail: describeError(err) };
  }
}

/** Why a new set cannot be created here (GuardDuty's per-region limits), or undefined. */
async function createBlocked(
  gd: GuardDutyClient,
  detectorId: string,
  format: ListFormat,
  list: ListName,
  sameKind: readonly SetInfo[],
): Promise<string | undefined> {
  if (list === 'trusted') {
    const other = sameKind[0];
    return other
      ? `the region already has a trusted ${format} list (${other.name}): GuardDuty allows one, cordon does not replace it`
      : undefined;
  }
  // The other kind counts too; a region using IP sets has no entity sets to count (formatOf found none).
  const others = format === 'entity' ? await SETS.ip.threat.list(gd, detectorId) : [];
  const count = sameKind.length + others.length;
  return count >= MAX_THREAT_LISTS_PER_REGION
    ? `the region has ${count} threat lists, GuardDuty's limit of ${MAX_THREAT_LISTS_PER_REGION}: remove one for cordon's`
    : undefined;
}

/** The set's status right after the change: an ERROR is a failure (its details say why GuardDuty could not read the list). */
async function statusAfter(
  api: SetApi,
  gd: GuardDutyClient,
  detectorId: string,
  setId: string,
  verb: string,
): Promise<{ status?: 'failed'; detail: string }> {
  const info = await api.get(gd, detectorId, setId);
  if (info.status === 'ERROR')
    return { status: 'failed', detail: `GuardDuty could not use the list: ${info.errorDetails ?? 'no details'}` };
  return { detail: `${verb}; GuardDuty status ${info.status}` };
}

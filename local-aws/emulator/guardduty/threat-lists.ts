/**
 * GuardDuty's lists: threat and trusted entity sets (IPv4 and domains) and
 * the older threat intel sets and IP sets (IPv4 only). Create, Get, List and
 * Update of each, validated against the botocore model by the service; what
 * the API reference and the user guide state in prose is checked here:
 *
 * - only an account without an administrator (the administrator itself)
 *   manages lists; a member's List/Get see its administrator's ("If you use
 *   this operation from a member account, the … sets that are returned … belong
 *   to the administrator account");
 * - at most six threat lists (entity and IP together), one trusted entity
 *   list and one trusted IP list per account and region; names of letters,
 *   digits, `-` and `_`, unique among an account's lists of a kind;
 * - the location in one of the documented forms (`https://s3.amazonaws.com/b/k`,
 *   `https://s3-<region>.amazonaws.com/b/k`, `http(s)://b.s3.amazonaws.com/k`,
 *   `http(s)://b.s3-<region>.amazonaws.com/k`, `s3://b/k`);
 * - on activation the list object is read from S3 (moto) where GuardDuty
 *   reads it: with the caller's permissions for entity lists, as the
 *   administrator (its service-linked role) for IP lists; a missing object,
 *   a bucket the `ExpectedBucketOwner` does not own, a file over 35 MB, an
 *   entry that is not IPv4/CIDR (or a domain, on an entity list), IPv6, or
 *   more entries than the quota make the set `ERROR` with `ErrorDetails`.
 *
 * GuardDuty User Guide: https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_upload-lists.html,
 * https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-lists-create-activate.html,
 * https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_limits.html.
 * AWS activates asynchronously (ACTIVATING, up to 40 minutes); the emulator
 * reads the object during the call and answers ACTIVE or ERROR at once.
 */
import type {
  CreateIPSetRequest,
  CreateThreatEntitySetRequest,
  GetIPSetRequest,
  GetThreatEntitySetRequest,
  ListIPSetsRequest,
  ListThreatEntitySetsRequest,
  UpdateIPSetRequest,
  UpdateThreatEntitySetRequest,
} from '@aws-sdk/client-guardduty';

import { ApiError } from '../errors';
import { typed, type CallContext, type Handler } from '../service';
import { hexId, iso, key, paginate } from '../util';
import type { GuardDutyStore } from './store';

/** The four kinds of list, by the operation-name stem. */
export type ListKind = 'ThreatEntitySet' | 'TrustedEntitySet' | 'ThreatIntelSet' | 'IPSet';

const KINDS: readonly ListKind[] = ['ThreatEntitySet', 'TrustedEntitySet', 'ThreatIntelSet', 'IPSet'];

/** What each kind accepts and its id field on the wire. */
const KIND_RULES: Readonly<Record<ListKind, { threat: boolean; entity: boolean; maxEntries: number; idField: string; listField: string }>> =
  {
    // Entity-list quotas: the quota page's entity rows as its translation reads them (1,000 a list); cordon keeps to the same.
    ThreatEntitySet: { threat: true, entity: true, maxEntries: 1_000, idField: 'ThreatEntitySetId', listField: 'ThreatEntitySetIds' },
    TrustedEntitySet: { threat: false, entity: true, maxEntries: 1_000, idField: 'TrustedEntitySetId', listField: 'TrustedEntitySetIds' },
    ThreatIntelSet: { threat: true, entity: false, maxEntries: 250_000, idField: 'ThreatIntelSetId', listField: 'ThreatIntelSetIds' },
    IPSet: { threat: false, entity: false, maxEntries: 2_000, idField: 'IpSetId', listField: 'IpSetIds' },
  };

/** GuardDuty's per-region limit on threat lists (entity and IP together). */
const MAX_THREAT_LISTS = 6;
/** GuardDuty reads list files of at most 35 MB. */
const MAX_LIST_BYTES = 35 * 1024 * 1024;

/** One list as the emulator holds it. */
export interface EmulatedList {
  readonly id: string;
  readonly kind: ListKind;
  name: string;
  readonly format: string;
  location: string;
  expectedBucketOwner: string | undefined;
  status: 'INACTIVE' | 'ACTIVE' | 'ERROR';
  errorDetails: string | undefined;
  /** The entries GuardDuty read at the last activation. */
  entries: readonly string[];
  readonly createdAt: Date;
  updatedAt: Date;
}

/** An S3 object as GuardDuty would read it. */
export type ListObject =
  { readonly found: true; readonly body: string; readonly bytes: number } | { readonly found: false; readonly reason: string };

/** How the emulator reads list objects (the local endpoint reads them from moto). */
export interface ListObjectReader {
  /** The object, read with `accessKeyId`'s permissions (undefined: as `accountId`, its service-linked role). */
  read(bucket: string, objectKey: string, as: { readonly accountId: string; readonly accessKeyId?: string }): Promise<ListObject>;
  /** True when `accountId` owns the bucket. */
  owns(accountId: string, bucket: string): Promise<boolean>;
}

const LOCATION_FORMS: readonly RegExp[] = [
  /^https:\/\/s3\.amazonaws\.com\/([^/]+)\/(.+)$/,
  /^https:\/\/s3-[a-z0-9-]+\.amazonaws\.com\/([^/]+)\/(.+)$/,
  /^https?:\/\/([^/]+)\.s3\.amazonaws\.com\/(.+)$/,
  /^https?:\/\/([^/]+)\.s3-[a-z0-9-]+\.amazonaws\.com\/(.+)$/,
  /^s3:\/\/([^/]+)\/(.+)$/,
];

/** Bucket and key of a documented location form, or a BadRequestException. */
function parseLocation(location: string): { bucket: string; objectKey: string } {
  for (const form of LOCATION_FORMS) {
    const m = form.exec(location);
    if (m) return { bucket: m[1] ?? '', objectKey: decodeURIComponent(m[2] ?? '') };
  }
  throw new ApiError('BadRequestException', `The request is rejected because the location ${location} is not a supported Amazon S3 URL.`);
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}(\/(3[0-2]|[12]?\d))?$/;
const DOMAIN = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** The entries of a TXT list, or why GuardDuty cannot use it. */
function readEntries(kind: ListKind, format: string, body: string): { entries: string[] } | { error: string } {
  if (format !== 'TXT') return { error: `cordon's emulator reads TXT lists only (format ${format})` };
  const entries = body
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const rules = KIND_RULES[kind];
  for (const entry of entries) {
    if (IPV4.test(entry)) continue;
    if (entry.includes(':')) return { error: `IPv6 entry ${entry}: only IPv4 addresses are accepted` };
    if (rules.entity && DOMAIN.test(entry)) continue;
    return {
      error: `invalid entry ${entry}: expected ${rules.entity ? 'an IPv4 address, a CIDR range or a domain' : 'an IPv4 address or CIDR range'}`,
    };
  }
  if (entries.length > rules.maxEntries) return { error: `${entries.length} entries: more than the quota of ${rules.maxEntries}` };
  return { entries };
}

/** The emulator's lists, per account and region. */
export class GuardDutyLists {
  private readonly lists = new Map<string, Map<string, EmulatedList>>();
  private readonly noEntityRegions = new Set<string>();

  public constructor(
    private readonly store: GuardDutyStore,
    private readonly reader: ListObjectReader | undefined,
  ) {}

  /** Regions where the entity-set operations do not exist (404 UnknownOperationException), as before a region has the feature. */
  public withoutEntityLists(regions: readonly string[]): void {
    for (const r of regions) this.noEntityRegions.add(r);
  }

  /** The lists of an account in a region (for tests and the demo). */
  public listsOf(accountId: string, region: string): EmulatedList[] {
    return [...(this.lists.get(key(accountId, region))?.values() ?? [])];
  }

  /** Every operation of the four kinds. */
  public handlers(): Record<string, Handler> {
    const out: Record<string, Handler> = {};
    for (const kind of KINDS) {
      out[`Create${kind}`] = typed((ctx, input: CreateThreatEntitySetRequest) => this.create(ctx, kind, input));
      out[`Get${kind}`] = typed((ctx, input: GetThreatEntitySetRequest & Partial<Record<string, string>>) =>
        this.get(ctx, kind, input.DetectorId ?? '', String(input[KIND_RULES[kind].idField] ?? '')),
      );
      out[`List${kind}s`] = typed((ctx, input: ListThreatEntitySetsRequest) => this.list(ctx, kind, input));
      out[`Update${kind}`] = typed((ctx, input: UpdateThreatEntitySetRequest & Partial<Record<string, string | boolean>>) =>
        this.update(ctx, kind, input, String(input[KIND_RULES[kind].idField] ?? '')),
      );
    }
    return out;
  }

  private available(ctx: CallContext, kind: ListKind): void {
    if (KIND_RULES[kind].entity && this.noEntityRegions.has(ctx.region))
      throw new ApiError('UnknownOperationException', `GuardDuty has no ${ctx.operation} in ${ctx.region} (cordon local emulator)`, 404);
  }

  /** The account whose lists the caller sees: its administrator's, for a member. */
  private owner(ctx: CallContext, detectorId: string): string {
    this.store.ownedDetector(detectorId, ctx.accountId, ctx.region);
    return this.store.administratorOf(ctx.accountId, ctx.region) ?? ctx.accountId;
  }

  /** The caller may manage lists: it has no administrator. */
  private manager(ctx: CallContext, detectorId: string): string {
    const owner = this.owner(ctx, detectorId);
    if (owner !== ctx.accountId)
      throw new ApiError(
        'BadRequestException',
        'The request is rejected because only the GuardDuty administrator account can manage lists.',
      );
    return owner;
  }

  private bucketOf(accountId: string, region: string): Map<string, EmulatedList> {
    const k = key(accountId, region);
    let m = this.lists.get(k);
    if (!m) {
      m = new Map();
      this.lists.set(k, m);
    }
    return m;
  }

  private async create(
    ctx: CallContext,
    kind: ListKind,
    input: CreateThreatEntitySetRequest | CreateIPSetRequest,
  ): Promise<Record<string, string>> {
    this.available(ctx, kind);
    const owner = this.manager(ctx, input.DetectorId ?? '');
    const lists = this.bucketOf(owner, ctx.region);
    assertName(input.Name ?? '');
    const all = [...lists.values()];
    if (all.some((l) => l.kind === kind && l.name === input.Name))
      throw new ApiError('BadRequestException', `The request is rejected because a list named ${input.Name} already exists.`);
    if (KIND_RULES[kind].threat && all.filter((l) => KIND_RULES[l.kind].threat).length >= MAX_THREAT_LISTS)
      throw new ApiError(
        'BadRequestException',
        `The request is rejected because the account already has ${MAX_THREAT_LISTS} threat lists in this Region.`,
      );
    if (!KIND_RULES[kind].threat && all.some((l) => l.kind === kind))
      throw new ApiError(
        'BadRequestException',
        'The request is rejected because the account already has a trusted list of this kind in this Region.',
      );
    parseLocation(input.Location ?? '');
    const list: EmulatedList = {
      id: hexId(32),
      kind,
      name: input.Name ?? '',
      format: input.Format ?? 'TXT',
      location: input.Location ?? '',
      expectedBucketOwner: input.ExpectedBucketOwner,
      status: 'INACTIVE',
      errorDetails: undefined,
      entries: [],
      createdAt: ctx.now,
      updatedAt: ctx.now,
    };
    if (input.Activate) await this.activate(ctx, list);
    lists.set(list.id, list);
    return { [KIND_RULES[kind].idField]: list.id };
  }

  private found(ctx: CallContext, kind: ListKind, detectorId: string, id: string, manage: boolean): EmulatedList {
    const owner = manage ? this.manager(ctx, detectorId) : this.owner(ctx, detectorId);
    const list = this.lists.get(key(owner, ctx.region))?.get(id);
    if (!list || list.kind !== kind)
      throw new ApiError('BadRequestException', `The request is rejected because the ${kind} ${id} does not exist.`);
    return list;
  }

  private get(ctx: CallContext, kind: ListKind, detectorId: string, id: string): object {
    this.available(ctx, kind);
    const l = this.found(ctx, kind, detectorId, id, false);
    return {
      Name: l.name,
      Format: l.format,
      Location: l.location,
      Status: l.status,
      ...(l.expectedBucketOwner ? { ExpectedBucketOwner: l.expectedBucketOwner } : {}),
      ...(KIND_RULES[kind].entity ? { CreatedAt: iso(l.createdAt), UpdatedAt: iso(l.updatedAt) } : {}),
      ...(KIND_RULES[kind].entity && l.errorDetails ? { ErrorDetails: l.errorDetails } : {}),
    };
  }

  private list(ctx: CallContext, kind: ListKind, input: ListThreatEntitySetsRequest | ListIPSetsRequest): object {
    this.available(ctx, kind);
    const owner = this.owner(ctx, input.DetectorId ?? '');
    const ids = this.listsOf(owner, ctx.region)
      .filter((l) => l.kind === kind)
      .map((l) => l.id);
    const page = paginate(ids, input.MaxResults, input.NextToken, 50, 'BadRequestException');
    return { [KIND_RULES[kind].listField]: page.items, ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
  }

  private async update(
    ctx: CallContext,
    kind: ListKind,
    input: UpdateThreatEntitySetRequest | UpdateIPSetRequest | GetIPSetRequest,
    id: string,
  ): Promise<object> {
    this.available(ctx, kind);
    const l = this.found(ctx, kind, input.DetectorId ?? '', id, true);
    const change = input as UpdateThreatEntitySetRequest;
    if (change.Name !== undefined) {
      assertName(change.Name);
      l.name = change.Name;
    }
    if (change.Location !== undefined) {
      parseLocation(change.Location);
      l.location = change.Location;
    }
    if (change.ExpectedBucketOwner !== undefined) l.expectedBucketOwner = change.ExpectedBucketOwner;
    l.updatedAt = ctx.now;
    if (change.Activate === true) await this.activate(ctx, l);
    else if (change.Activate === false) {
      l.status = 'INACTIVE';
      l.entries = [];
    }
    return {};
  }

  /** Reads the list object as GuardDuty would and sets ACTIVE with its entries, or ERROR with why. */
  private async activate(ctx: CallContext, l: EmulatedList): Promise<void> {
    const fail = (why: string): void => {
      l.status = 'ERROR';
      l.errorDetails = why;
      l.entries = [];
    };
    if (!this.reader) return fail('cordon local emulator: no S3 to read the list from');
    const { bucket, objectKey } = parseLocation(l.location);
    if (l.expectedBucketOwner && !(await this.reader.owns(l.expectedBucketOwner, bucket)))
      return fail(`The bucket ${bucket} is not owned by the expected bucket owner ${l.expectedBucketOwner}.`);
    const as = KIND_RULES[l.kind].entity ? { accountId: ctx.accountId, accessKeyId: ctx.accessKeyId } : { accountId: ctx.accountId };
    const object = await this.reader.read(bucket, objectKey, as);
    if (!object.found) return fail(`GuardDuty could not read s3://${bucket}/${objectKey}: ${object.reason}`);
    if (object.bytes > MAX_LIST_BYTES) return fail(`The list file is ${object.bytes} bytes: more than 35 MB.`);
    const read = readEntries(l.kind, l.format, object.body);
    if ('error' in read) return fail(read.error);
    l.status = 'ACTIVE';
    l.errorDetails = undefined;
    l.entries = read.entries;
  }
}

/** GuardDuty's list name rule: letters, digits, `-` and `_` (the model says only 1-300 characters). */
function assertName(name: string): void {
  if (!/^[A-Za-z0-9_-]+$/.test(name))
    throw new ApiError(
      'BadRequestException',
      `The request is rejected because the name ${name} may contain only letters, digits, dash (-) and underscore (_).`,
    );
}

/**
 * Small helpers shared by the emulated services: paging tokens, identifiers,
 * composite keys and timestamps.
 */
import { randomBytes } from 'node:crypto';

import { ApiError } from './errors';

/** A page of items and the token of the next page, if any. */
export interface Page<T> {
  readonly items: T[];
  readonly nextToken: string | undefined;
}

/**
 * Slice `items` at the offset `token` encodes. Tokens are opaque to callers
 * (base64 of `offset:<n>`); a token the emulator did not issue is rejected
 * with `invalidCode`, as AWS rejects a forged token.
 */
export function paginate<T>(
  items: readonly T[],
  maxResults: number | undefined,
  token: string | undefined,
  defaultMax: number,
  invalidCode: string,
): Page<T> {
  let offset = 0;
  if (token !== undefined && token !== '') {
    const decoded = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
    if (!decoded) throw new ApiError(invalidCode, `The nextToken ${JSON.stringify(token)} is invalid`);
    offset = Number(decoded[1]);
  }
  const size = maxResults ?? defaultMax;
  const end = offset + size;
  return {
    items: items.slice(offset, end),
    nextToken: end < items.length ? Buffer.from(`offset:${end}`).toString('base64') : undefined,
  };
}

/** A random lowercase hex id of `length` characters (GuardDuty detector and finding ids are 32). */
export function hexId(length = 32): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

/** A composite map key. */
export function key(...parts: readonly string[]): string {
  return parts.join('|');
}

/** ISO-8601 with milliseconds, as GuardDuty prints timestamps. */
export function iso(date: Date): string {
  return date.toISOString();
}

/** A 12-digit AWS account id. */
export function isAccountId(value: string): boolean {
  return /^\d{12}$/.test(value);
}

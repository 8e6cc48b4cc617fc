/**
 * IPv4 and IPv6 addresses and CIDR ranges as network ACL rules hold them
 * (pure). IPv6 text has many spellings of one address (`2001:db8::1`,
 * `2001:0db8:0:0:0:0:0:1`), so ranges are compared by value, never as text.
 */

/** An address family, as messages name it. */
export type Family = 'IPv4' | 'IPv6';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4Value(text: string): bigint | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((n) => n > 255)) return undefined;
  return parts.reduce((acc, n) => (acc << 8n) | BigInt(n), 0n);
}

function ipv6Value(text: string): bigint | undefined {
  const address = text.split('%')[0] ?? '';
  if (!address.includes(':')) return undefined;
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): string[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    const last = groups[groups.length - 1] ?? '';
    // An IPv4 tail (`::ffff:192.0.2.1`) is two groups.
    if (last.includes('.')) {
      const v4 = ipv4Value(last);
      if (v4 === undefined) return undefined;
      groups.splice(groups.length - 1, 1, ((v4 >> 16n) & 0xffffn).toString(16), (v4 & 0xffffn).toString(16));
    }
    return groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g)) ? groups : undefined;
  };
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** An address's family and value, or undefined when it is neither an IPv4 nor an IPv6 address. */
function parse(address: string): { family: Family; value: bigint; bits: number } | undefined {
  const v4 = ipv4Value(address);
  if (v4 !== undefined) return { family: 'IPv4', value: v4, bits: 32 };
  const v6 = ipv6Value(address);
  return v6 === undefined ? undefined : { family: 'IPv6', value: v6, bits: 128 };
}

/** The family of an address or a CIDR range, or undefined when it is neither. */
export function familyOf(addressOrCidr: string): Family | undefined {
  return parse(addressOrCidr.split('/')[0] ?? '')?.family;
}

/** The single-address range of an address (`203.0.113.7/32`, `2001:db8::7/128`, IPv6 in its canonical lowercase form), or undefined. */
export function hostCidr(address: string): string | undefined {
  const parsed = parse(address);
  if (!parsed) return undefined;
  if (parsed.family === 'IPv4') return `${address}/32`;
  return `${canonicalIpv6(parsed.value)}/128`;
}

/** RFC 5952 text of an IPv6 address: lowercase, no leading zeros, the longest run of two or more zero groups as `::`. */
function canonicalIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j += 1;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
}

/** A CIDR range as family, network value and prefix length, or undefined when malformed. */
function range(cidr: string): { family: Family; network: bigint; prefix: number; bits: number } | undefined {
  const [base, bits] = cidr.split('/');
  const parsed = parse(base ?? '');
  if (!parsed) return undefined;
  const prefix = bits === undefined ? parsed.bits : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > parsed.bits) return undefined;
  return { family: parsed.family, network: parsed.value, prefix, bits: parsed.bits };
}

/**
 * A CIDR range (or a single address, as its host range) in canonical form:
 * the network address with the host bits cleared (`203.0.113.0/24`), IPv6 in
 * RFC 5952 text; undefined when malformed.
 */
export function canonicalRange(text: string): { readonly family: Family; readonly cidr: string; readonly prefix: number } | undefined {
  const r = range(text);
  if (!r) return undefined;
  const shift = BigInt(r.bits - r.prefix);
  const network = (r.network >> shift) << shift;
  const base = r.family === 'IPv4' ? [24n, 16n, 8n, 0n].map((s) => String((network >> s) & 0xffn)).join('.') : canonicalIpv6(network);
  return { family: r.family, cidr: `${base}/${r.prefix}`, prefix: r.prefix };
}

/** True when the range `cidr` contains `address` (same family only). */
export function cidrContains(cidr: string, address: string): boolean {
  const r = range(cidr);
  const a = parse(address);
  if (!r || !a || r.family !== a.family) return false;
  const shift = BigInt(r.bits - r.prefix);
  return r.network >> shift === a.value >> shift;
}

/** True when two ranges are the same range, however written. */
export function sameCidr(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const [x, y] = [range(a), range(b)];
  if (!x || !y) return a === b;
  const shift = BigInt(x.bits - x.prefix);
  return x.family === y.family && x.prefix === y.prefix && x.network >> shift === y.network >> shift;
}

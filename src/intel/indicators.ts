/**
 * Indicators of compromise cordon shares with GuardDuty and DNS Firewall: an
 * IPv4 or IPv6 address, a CIDR range or a domain name (pure). Each is read
 * into one canonical text (so one indicator is one entry however it was
 * written) or refused with the reason: not an indicator at all, a private or
 * reserved range, or an AWS service or cordon's own endpoint, which a threat
 * list or a DNS block must never name.
 *
 * GuardDuty's lists "apply only to traffic destined for publicly routable IP
 * addresses and domains" and accept IPv4 only ("IPv6 addresses are not
 * supported"): GuardDuty User Guide, "Customizing threat detection with
 * entity lists and IP address lists",
 * https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_upload-lists.html
 */
import { canonicalRange, cidrContains } from '../actions/network/addresses';
import type { Finding } from '../findings/finding';

/** What an indicator is. */
export type IndicatorKind = 'ipv4' | 'ipv6' | 'domain';

/** A valid indicator in canonical form: an address or range as `a.b.c.d/n` (IPv6 RFC 5952), a domain lowercase, without the final dot. */
export interface Indicator {
  readonly kind: IndicatorKind;
  readonly value: string;
}

/** A refused indicator and why. */
export interface Refusal {
  readonly value: string;
  readonly reason: string;
}

/**
 * Ranges that never name an attacker on the internet (IANA special-purpose
 * registries, RFC 6890): a list entry or a block for one would hit the
 * organization's own traffic. The documentation ranges (RFC 5737, RFC 3849)
 * are not here: they route nowhere, and examples and tests use them.
 */
const RESERVED_RANGES: ReadonlyArray<{ readonly cidr: string; readonly name: string }> = [
  { cidr: '0.0.0.0/8', name: '"this network" (RFC 791)' },
  { cidr: '10.0.0.0/8', name: 'private (RFC 1918)' },
  { cidr: '100.64.0.0/10', name: 'carrier-grade NAT (RFC 6598)' },
  { cidr: '127.0.0.0/8', name: 'loopback' },
  { cidr: '169.254.0.0/16', name: 'link-local (instance metadata, VPC DNS)' },
  { cidr: '172.16.0.0/12', name: 'private (RFC 1918)' },
  { cidr: '192.0.0.0/24', name: 'IETF protocol assignments (RFC 6890)' },
  { cidr: '192.168.0.0/16', name: 'private (RFC 1918)' },
  { cidr: '198.18.0.0/15', name: 'benchmarking (RFC 2544)' },
  { cidr: '224.0.0.0/4', name: 'multicast' },
  { cidr: '240.0.0.0/4', name: 'reserved (RFC 1112), broadcast' },
  { cidr: '::/127', name: 'unspecified or loopback' },
  { cidr: '::ffff:0:0/96', name: 'IPv4-mapped' },
  { cidr: '64:ff9b:1::/48', name: 'local-use NAT64 (RFC 8215)' },
  { cidr: '100::/64', name: 'discard-only (RFC 6666)' },
  { cidr: 'fc00::/7', name: 'unique local (RFC 4193, VPC metadata fd00:ec2::)' },
  { cidr: 'fe80::/10', name: 'link-local' },
  { cidr: 'ff00::/8', name: 'multicast' },
];

/**
 * Domains of AWS services and of the network inside a VPC: a threat list or
 * a DNS Firewall block naming one would cut workloads (and cordon) off AWS.
 * An attacker's bucket under `s3.amazonaws.com` is blocked by its policy, not
 * by its name.
 */
const PROTECTED_DOMAIN_SUFFIXES: readonly string[] = [
  'amazonaws.com',
  'amazonaws.com.cn',
  'api.aws',
  'aws',
  'aws.amazon.com',
  'amazon.com',
  'cloudfront.net',
  'awsglobalaccelerator.com',
  'internal',
  'local',
  'localhost',
  'in-addr.arpa',
  'ip6.arpa',
];

/** The hosts cordon itself talks to (the endpoints in its environment, its list bucket): never an indicator. */
export interface IndicatorGuard {
  /** Host names and addresses, lowercase (from `AWS_ENDPOINT_URL*`, the list bucket). */
  readonly ownHosts: ReadonlySet<string>;
}

/** The guard for an environment: every `AWS_ENDPOINT_URL*` host, and the bucket's S3 host names. */
export function indicatorGuard(env: NodeJS.ProcessEnv, bucket?: string): IndicatorGuard {
  const hosts = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('AWS_ENDPOINT_URL') || !value) continue;
    try {
      hosts.add(new URL(value).hostname.toLowerCase().replace(/^\[|\]$/g, ''));
    } catch {
      // An endpoint the SDK cannot use either: nothing to protect.
    }
  }
  if (bucket) hosts.add(`${bucket}.s3.amazonaws.com`);
  return { ownHosts: hosts };
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Reads one indicator (pure): an IPv4 or IPv6 address, a CIDR range, or a
 * domain (`*.` allowed in front when `wildcards`: GuardDuty entity lists and
 * DNS Firewall accept it). The reason names what is wrong.
 */
export function parseIndicator(
  text: string,
  guard: IndicatorGuard,
  options: { readonly wildcards?: boolean } = {},
): { readonly ok: true; readonly indicator: Indicator } | { readonly ok: false; readonly refusal: Refusal } {
  const value = text.trim();
  const refuse = (reason: string) => ({ ok: false as const, refusal: { value, reason } });
  if (value === '') return refuse('empty: expected an IP address, a CIDR range or a domain name');
  const address = value.split('/')[0] ?? '';
  const range = canonicalRange(value);
  if (range) {
    if (value.includes('/') && range.cidr.split('/')[0] !== canonicalRange(address)?.cidr.split('/')[0])
      return refuse(`host bits set in ${value}: did you mean ${range.cidr}?`);
    const reserved = RESERVED_RANGES.find((r) => overlaps(r.cidr, range.cidr));
    if (reserved) return refuse(`${reserved.name} range ${reserved.cidr}: not an address on the internet`);
    if (guard.ownHosts.has(address.toLowerCase()) || guard.ownHosts.has(range.cidr.split('/')[0] ?? ''))
      return refuse("cordon's own endpoint");
    const single = (range.family === 'IPv4' && range.prefix === 32) || (range.family === 'IPv6' && range.prefix === 128);
    const canonical = single ? (range.cidr.split('/')[0] ?? range.cidr) : range.cidr;
    return { ok: true, indicator: { kind: range.family === 'IPv4' ? 'ipv4' : 'ipv6', value: canonical } };
  }
  if (/[/:]/.test(value) || /^[\d.]+$/.test(value)) return refuse('not an IP address, a CIDR range or a domain name');
  const domain = value.toLowerCase().replace(/\.$/, '');
  const wildcard = domain.startsWith('*.');
  if (wildcard && !options.wildcards) return refuse('a wildcard domain: a finding names the domain itself');
  const labels = (wildcard ? domain.slice(2) : domain).split('.');
  if (domain.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels.at(-1) ?? ''))
    return refuse('not an IP address, a CIDR range or a domain name (letters, digits and hyphens, two labels or more)');
  const bare = labels.join('.');
  const suffix = PROTECTED_DOMAIN_SUFFIXES.find((s) => bare === s || bare.endsWith(`.${s}`));
  if (suffix) return refuse(`an AWS service or VPC-internal domain (${suffix}): blocking it would cut workloads off AWS`);
  if ([...guard.ownHosts].some((h) => h === bare || h.endsWith(`.${bare}`))) return refuse("cordon's own endpoint");
  return { ok: true, indicator: { kind: 'domain', value: domain } };
}

/** True when two ranges of one family share an address. */
function overlaps(a: string, b: string): boolean {
  const [baseA = '', prefixA] = a.split('/');
  const [baseB = '', prefixB] = b.split('/');
  return Number(prefixA) <= Number(prefixB) ? cidrContains(a, baseB) : cidrContains(b, baseA);
}

/**
 * Finding types whose outbound remote address is the malicious party (a
 * command-and-control server, a drop point, a mining pool, a caller on a
 * threat list). For other outbound traffic (a port scan, a denial of service
 * the instance sends) the remote address is a victim, never an indicator.
 */
const MALICIOUS_DESTINATION =
  /C&CActivity|BlackholeTraffic|DropPoint|MaliciousIPCaller|BitcoinTool|MaliciousDomainRequest|DGADomainRequest/;

/** The indicators of a finding, each with its canonical form, and those refused with why (pure). */
export interface FindingIndicators {
  readonly accepted: readonly Indicator[];
  readonly refused: readonly Refusal[];
}

/**
 * What a finding tells about the attacker (pure): the remote addresses that
 * acted on the resource (inbound connections, port probes, API and
 * Kubernetes callers, database logins), the outbound destinations of
 * findings about a malicious destination, and the domains of DNS findings.
 * Deduplicated; refused ones come back with the reason.
 */
export function findingIndicators(finding: Finding, guard: IndicatorGuard): FindingIndicators {
  const outboundMalicious = MALICIOUS_DESTINATION.test(finding.type);
  const candidates = [
    ...finding.remoteIps.filter((r) => r.direction === 'INBOUND' || (r.direction === 'OUTBOUND' && outboundMalicious)).map((r) => r.ip),
    ...(finding.domains ?? []),
  ];
  const accepted = new Map<string, Indicator>();
  const refused = new Map<string, Refusal>();
  for (const text of candidates) {
    const read = parseIndicator(text, guard);
    if (read.ok) accepted.set(read.indicator.value, read.indicator);
    else refused.set(read.refusal.value, read.refusal);
  }
  return { accepted: [...accepted.values()], refused: [...refused.values()] };
}

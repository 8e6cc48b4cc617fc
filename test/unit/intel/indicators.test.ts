import { NO_SUBJECT, type Finding } from '../../../src/findings/finding';
import { findingIndicators, indicatorGuard, parseIndicator } from '../../../src/intel/indicators';
import { trustRequest } from '../../../src/intel/references';

const guard = indicatorGuard({ AWS_ENDPOINT_URL: 'https://cordon.internal.example.net:4566' }, 'cordon-intel-123');
const read = (text: string, wildcards = false) => {
  const r = parseIndicator(text, guard, { wildcards });
  return r.ok ? r.indicator : r.refusal.reason;
};

/** A finding with only what indicator extraction reads. */
function finding(over: Partial<Finding>): Finding {
  return {
    id: 'f1',
    arn: 'arn:aws:guardduty:us-east-1:111122223333:detector/d/finding/f1',
    detectorId: 'd',
    accountId: '111122223333',
    region: 'us-east-1',
    partition: 'aws',
    type: 'UnauthorizedAccess:EC2/SSHBruteForce',
    severity: 5,
    title: 't',
    count: 1,
    archived: false,
    sample: false,
    updatedAt: undefined,
    lastSeenAt: undefined,
    resourceRole: 'TARGET',
    resourceType: 'Instance',
    ...NO_SUBJECT,
    remoteIps: [],
    resources: [],
    sequence: undefined,
    origin: { kind: 'guardduty' },
    ...over,
  };
}

describe('indicators', () => {
  it('reads addresses, ranges and domains into one canonical form', () => {
    expect(read('198.51.100.7')).toEqual({ kind: 'ipv4', value: '198.51.100.7' });
    expect(read('198.51.100.7/32')).toEqual({ kind: 'ipv4', value: '198.51.100.7' });
    expect(read('198.51.100.0/24')).toEqual({ kind: 'ipv4', value: '198.51.100.0/24' });
    expect(read('2001:0DB8:0:0:0:0:0:7')).toEqual({ kind: 'ipv6', value: '2001:db8::7' });
    expect(read('Evil.Example.')).toEqual({ kind: 'domain', value: 'evil.example' });
    expect(read('*.evil.example', true)).toEqual({ kind: 'domain', value: '*.evil.example' });
  });

  it('refuses what is not an indicator, private and reserved ranges, AWS and its own endpoints, each with why', () => {
    expect(read('')).toMatch(/^empty/);
    expect(read('not a domain')).toMatch(/^not an IP address/);
    expect(read('300.1.1.1')).toMatch(/^not an IP address/);
    expect(read('198.51.100.7/24')).toBe('host bits set in 198.51.100.7/24: did you mean 198.51.100.0/24?');
    expect(read('10.1.2.3')).toMatch(/private \(RFC 1918\)/);
    expect(read('172.20.0.0/16')).toMatch(/private \(RFC 1918\)/);
    expect(read('192.168.1.1')).toMatch(/private/);
    expect(read('127.0.0.1')).toMatch(/loopback/);
    expect(read('169.254.169.254')).toMatch(/link-local/);
    expect(read('100.64.1.1')).toMatch(/carrier-grade NAT/);
    expect(read('10.0.0.0/7')).toMatch(/private \(RFC 1918\)/); // a range that holds one is refused too
    expect(read('fd00:ec2::254')).toMatch(/unique local/);
    expect(read('fe80::1')).toMatch(/link-local/);
    expect(read('::1')).toMatch(/loopback/);
    expect(read('s3.amazonaws.com')).toMatch(/AWS service/);
    expect(read('ip-10-0-0-1.ec2.internal')).toMatch(/VPC-internal/);
    expect(read('*.evil.example')).toMatch(/wildcard/);
    expect(read('cordon.internal.example.net')).toBe("cordon's own endpoint");
    expect(read('example.net')).toBe("cordon's own endpoint");
  });

  it('takes a finding’s attackers and malicious destinations, never the victims of what the instance sent', () => {
    const brute = finding({
      remoteIps: [
        { ip: '198.51.100.7', direction: 'INBOUND' },
        { ip: '10.0.0.9', direction: 'INBOUND' },
      ],
    });
    expect(findingIndicators(brute, guard)).toEqual({
      accepted: [{ kind: 'ipv4', value: '198.51.100.7' }],
      refused: [{ value: '10.0.0.9', reason: expect.stringContaining('private') }],
    });
    const scan = finding({ type: 'Recon:EC2/Portscan', resourceRole: 'ACTOR', remoteIps: [{ ip: '198.51.100.8', direction: 'OUTBOUND' }] });
    expect(findingIndicators(scan, guard).accepted).toEqual([]);
    const c2 = finding({ type: 'Backdoor:EC2/C&CActivity.B', remoteIps: [{ ip: '198.51.100.9', direction: 'OUTBOUND' }] });
    expect(findingIndicators(c2, guard).accepted).toEqual([{ kind: 'ipv4', value: '198.51.100.9' }]);
    const dns = finding({ type: 'Trojan:EC2/DNSDataExfiltration', domains: ['Exfil.Attacker.Example'] });
    expect(findingIndicators(dns, guard).accepted).toEqual([{ kind: 'domain', value: 'exfil.attacker.example' }]);
  });

  it('reads an analyst’s trust only as trust: <days>d, 1 to 365', () => {
    expect(trustRequest(undefined)).toBeUndefined();
    expect(trustRequest('Known scanner')).toBeUndefined();
    expect(trustRequest('pentest box, trust: 30d')).toEqual({ days: 30 });
    expect(trustRequest('TRUST 7 days')).toEqual({ days: 7 });
    expect(trustRequest('trust: 400d')).toEqual({ problem: expect.stringContaining('outside 1-365') });
    expect(trustRequest('please trust it')).toEqual({ problem: expect.stringContaining('trust: <days>d') });
  });
});

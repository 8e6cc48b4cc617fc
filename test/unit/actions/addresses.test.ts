import { cidrContains, familyOf, hostCidr, sameCidr } from '../../../src/actions/network/addresses';

describe('addresses of network ACL rules', () => {
  it('makes single-address ranges of both families, IPv6 in its canonical form', () => {
    expect(hostCidr('203.0.113.7')).toBe('203.0.113.7/32');
    expect(hostCidr('2001:0DB8:0000:0000:0000:0000:0000:0007')).toBe('2001:db8::7/128');
    expect(hostCidr('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1/128');
    expect(hostCidr('::ffff:192.0.2.1')).toBe('::ffff:c000:201/128');
    expect(hostCidr('not-an-address')).toBeUndefined();
    expect(hostCidr('256.1.1.1')).toBeUndefined();
    expect(hostCidr('2001:db8::1::2')).toBeUndefined();
  });

  it('compares ranges by value and tells the families apart', () => {
    expect(sameCidr('2001:db8::7/128', '2001:0db8:0:0:0:0:0:7/128')).toBe(true);
    expect(sameCidr('2001:db8::7/128', '2001:db8::8/128')).toBe(false);
    expect(sameCidr('10.0.0.1/32', '10.0.0.1/32')).toBe(true);
    expect(familyOf('2001:db8::/32')).toBe('IPv6');
    expect(familyOf('0.0.0.0/0')).toBe('IPv4');
  });

  it('finds the allow rules that contain an address, in its own family only', () => {
    expect(cidrContains('::/0', '2001:db8::7')).toBe(true);
    expect(cidrContains('2001:db8::/32', '2001:db9::7')).toBe(false);
    expect(cidrContains('0.0.0.0/0', '2001:db8::7')).toBe(false);
    expect(cidrContains('10.0.0.0/8', '10.200.3.4')).toBe(true);
    expect(cidrContains('10.0.0.0/8', '11.0.0.1')).toBe(false);
  });
});

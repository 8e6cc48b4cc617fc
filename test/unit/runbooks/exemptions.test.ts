import { NO_SUBJECT } from '../../../src/findings/finding';
import { arnMatches, namedResources, ouExemption, resourceExemption } from '../../../src/runbooks/exemptions';

const finding = {
  ...NO_SUBJECT,
  partition: 'aws',
  region: 'eu-west-1',
  accountId: '111122223333',
  instance: { instanceId: 'i-0abc', networkInterfaces: [], tags: {} },
  accessKey: { accessKeyId: 'ASIA1', userName: 'web-role', userType: 'AssumedRole', principalId: 'AROA1:i-0abc' },
  buckets: ['assets'],
};

describe('exemptions the configuration holds', () => {
  it("names a finding's resources as ARNs", () => {
    expect(namedResources(finding)).toEqual([
      { kind: 'instance', arn: 'arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc' },
      { kind: 'role', arn: 'arn:aws:iam::111122223333:role/web-role' },
      { kind: 'bucket', arn: 'arn:aws:s3:::assets' },
    ]);
  });

  it('matches ARNs as ArnLike does: * and ?, nothing else special, whole ARN only', () => {
    expect(arnMatches('arn:aws:iam::*:role/web-*', 'arn:aws:iam::111122223333:role/web-role')).toBe(true);
    expect(arnMatches('arn:aws:s3:::asset?', 'arn:aws:s3:::assets')).toBe(true);
    expect(arnMatches('arn:aws:s3:::asset.', 'arn:aws:s3:::assets')).toBe(false);
    expect(arnMatches('arn:aws:iam::*:role/web', 'arn:aws:iam::111122223333:role/web-role')).toBe(false);
  });

  it('exempts only by the resources the runbook would touch', () => {
    const patterns = ['arn:aws:iam::*:role/web-role'];
    expect(resourceExemption(finding, new Set(['role']), patterns)).toBe(
      'arn:aws:iam::111122223333:role/web-role is exempt (exemptResourceArns: arn:aws:iam::*:role/web-role)',
    );
    expect(resourceExemption(finding, new Set(['instance', 'bucket']), patterns)).toBeUndefined();
  });

  it('exempts an account by any OU above it, naming the way', () => {
    const path = ['ou-ab12-child000', 'ou-ab12-parent00', 'r-ab12'];
    expect(ouExemption('111122223333', path, new Set(['ou-ab12-parent00']))).toBe(
      'account 111122223333 is in ou-ab12-parent00 (through ou-ab12-child000), exempt (exemptOus)',
    );
    expect(ouExemption('111122223333', path, new Set(['ou-ab12-child000']))).toBe('account 111122223333 is in ou-ab12-child000, exempt (exemptOus)');
    expect(ouExemption('111122223333', path, new Set(['ou-ab12-other000']))).toBeUndefined();
  });
});

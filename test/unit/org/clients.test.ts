import { buildOrgClients } from '../../../src/org/clients';
import { partitionOf } from '../../../src/org/discover';

const MANAGEMENT = '111111111111';
const ADMIN = '222222222222';

describe('organization clients', () => {
  it("names the security account's role in the caller's partition (GovCloud, China), not always arn:aws", () => {
    // Prepare
    const gov = buildOrgClients({ adminAccountId: ADMIN, adminRoleName: 'OrgGuardDutyAdmin', concurrency: 2 });
    const commercial = buildOrgClients({ adminAccountId: ADMIN, adminRoleName: 'cordon-enabler', concurrency: 2 });

    // Act
    const govArn = gov.forCaller({
      accountId: MANAGEMENT,
      partition: partitionOf(`arn:aws-us-gov:iam::${MANAGEMENT}:user/ops`),
    }).adminRoleArn;
    const arn = commercial.forCaller({
      accountId: MANAGEMENT,
      partition: partitionOf(`arn:aws:sts::${MANAGEMENT}:assumed-role/Admin/x`),
    }).adminRoleArn;

    // Assess
    expect(govArn).toBe(`arn:aws-us-gov:iam::${ADMIN}:role/OrgGuardDutyAdmin`);
    expect(arn).toBe(`arn:aws:iam::${ADMIN}:role/cordon-enabler`);
    expect(() => gov.forCaller({ accountId: MANAGEMENT, partition: 'aws' })).toThrow('these clients serve partition aws-us-gov, not aws');
    gov.close();
    commercial.close();
  });

  it('uses the caller’s own credentials, and no role, when the caller is the security account', () => {
    const clients = buildOrgClients({ adminAccountId: ADMIN, adminRoleName: 'cordon-enabler', concurrency: 2 });
    expect(clients.forCaller({ accountId: ADMIN, partition: 'aws' }).adminRoleArn).toBeUndefined();
    expect(
      buildOrgClients({ adminAccountId: undefined, adminRoleName: 'x', concurrency: 1 }).forCaller({
        accountId: MANAGEMENT,
        partition: 'aws-cn',
      }).adminRoleArn,
    ).toBeUndefined();
    expect(clients.assumeRoleCalls()).toBe(0);
    clients.close();
  });

  it('reads the partition of an ARN, aws when there is none', () => {
    expect(partitionOf('arn:aws-cn:sts::123456789012:assumed-role/r/s')).toBe('aws-cn');
    expect(partitionOf('arn:aws-iso-b:iam::123456789012:root')).toBe('aws-iso-b');
    expect(partitionOf(undefined)).toBe('aws');
    expect(partitionOf('not an arn')).toBe('aws');
  });
});

import {
  DescribeIamInstanceProfileAssociationsCommand,
  DisassociateIamInstanceProfileCommand,
  EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import {
  GetInstanceProfileCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { removeInstanceProfile } from '../../../src/actions/ec2/remove-instance-profile';
import type { ActionContext } from '../../../src/actions/types';
import { NO_SUBJECT, type Finding } from '../../../src/findings/finding';
import { PartialActionError } from '../../../src/outcome';

const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };
const ec2 = new EC2Client({ region: 'us-east-1', credentials });
const iam = new IAMClient({ region: 'us-east-1', credentials });
const ec2Mock = mockClient(ec2);
const iamMock = mockClient(iam);

const PROFILE_ARN = 'arn:aws:iam::111122223333:instance-profile/web-profile';
const instance: Instance = { InstanceId: 'i-1', IamInstanceProfile: { Arn: PROFILE_ARN } };
const finding = {
  id: 'f1',
  type: 'Backdoor:EC2/C&CActivity.B',
  accountId: '111122223333',
  region: 'us-east-1',
  lastSeenAt: '2026-11-24T09:58:00.000Z',
  ...NO_SUBJECT,
  instance: { instanceId: 'i-1', networkInterfaces: [], tags: {} },
} as unknown as Finding;

const ctx = (leases: string[]): ActionContext =>
  ({
    finding,
    dryRun: false,
    now: new Date('2026-11-24T10:00:00Z'),
    responderRoleName: 'cordon-responder',
    member: <C>(ctor: unknown) => (ctor === IAMClient ? iam : ec2) as unknown as C,
    instance: async () => instance,
    history: async () => [],
    lookup: <T>(_key: string, read: () => Promise<T>) => read(),
    exclusivePrincipal: <T>(principal: string, work: () => Promise<T>) => (leases.push(principal), work()),
  }) as unknown as ActionContext;

describe('ec2.remove-instance-profile: the revocation waits for the removal', () => {
  beforeEach(() => {
    ec2Mock.reset();
    iamMock.reset();
    ec2Mock.on(DescribeIamInstanceProfileAssociationsCommand).resolves({
      IamInstanceProfileAssociations: [{ AssociationId: 'iip-assoc-1', InstanceId: 'i-1', IamInstanceProfile: { Arn: PROFILE_ARN } }],
    });
    iamMock.on(GetInstanceProfileCommand).resolves({
      InstanceProfile: {
        InstanceProfileName: 'web-profile',
        InstanceProfileId: 'AIPA1',
        Arn: PROFILE_ARN,
        Path: '/',
        CreateDate: new Date(),
        Roles: [
          { RoleName: 'web-role', RoleId: 'AROA1', Arn: 'arn:aws:iam::111122223333:role/web-role', Path: '/', CreateDate: new Date() },
        ],
      },
    });
    iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: [] });
    iamMock
      .on(GetRolePolicyCommand)
      .rejects(Object.assign(new Error('The role policy cannot be found.'), { name: 'NoSuchEntityException' }));
  });

  it('writes no revocation when the profile could not be removed, and says why', async () => {
    // Prepare: EC2 refuses the disassociation
    const refused = Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation' });
    ec2Mock.on(DisassociateIamInstanceProfileCommand).rejects(refused);
    const leases: string[] = [];

    // Act
    const failure = await removeInstanceProfile.run(ctx(leases), { revokeSessions: true }).catch((e: unknown) => e);

    // Assess: the removal's error, and no revocation written (the role's policies were listed meanwhile; an instance's
    // revocation has a policy of its own, so no lease on the role)
    expect(failure).toBe(refused);
    expect(iamMock.commandCalls(ListRolePoliciesCommand)).toHaveLength(1);
    expect(leases).toEqual([]);
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
  });

  it('writes the revocation once the profile is removed, after reading the policy beside the removal', async () => {
    // Prepare: the disassociation answers only once the policy has been read
    let read = false;
    let putBeforeRemoval = false;
    let removed = false;
    iamMock.on(ListRolePoliciesCommand).callsFake(async () => {
      read = true;
      return { PolicyNames: [] };
    });
    ec2Mock.on(DisassociateIamInstanceProfileCommand).callsFake(async () => {
      while (!read) await new Promise((resolve) => setTimeout(resolve, 5));
      removed = true;
      return {};
    });
    iamMock.on(PutRolePolicyCommand).callsFake(async () => {
      putBeforeRemoval ||= !removed;
      return {};
    });
    iamMock
      .on(GetRolePolicyCommand)
      .rejectsOnce(Object.assign(new Error('The role policy cannot be found.'), { name: 'NoSuchEntityException' }))
      .callsFake(async () => {
        const document = iamMock.commandCalls(PutRolePolicyCommand).at(-1)?.args[0].input.PolicyDocument ?? '';
        return { RoleName: 'web-role', PolicyName: 'cordon-revoke-sessions', PolicyDocument: encodeURIComponent(document) };
      });

    // Act
    const outcomes = await removeInstanceProfile.run(ctx([]), { revokeSessions: true }).catch((e: unknown) => {
      throw e instanceof PartialActionError ? e.cause : e;
    });

    // Assess: disassociated, then revoked; the write came after the removal
    expect(outcomes.map((o) => [o.resource, o.status])).toEqual([
      ['i-1', 'done'],
      ['web-role', 'done'],
    ]);
    expect(putBeforeRemoval).toBe(false);
  });
});

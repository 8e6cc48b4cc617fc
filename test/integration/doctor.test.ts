import {
  CloudFormationClient,
  CreateStackCommand,
  CreateStackInstancesCommand,
  CreateStackSetCommand,
} from '@aws-sdk/client-cloudformation';
import { CreateAccountCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { CreateActionTargetCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { GetQueueUrlCommand, PurgeQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

import { type LocalAws } from '../../local-aws';
import { MEMBER_ROLE_STACK_SET_NAME } from '../../src/config/defaults';
import type { DoctorCheck } from '../../src/doctor/doctor';
import { ACTIONS } from '../../src/actions/registry';
import { customActions } from '../../src/runbooks/custom-actions';
import { loadRunbooks } from '../../src/runbooks/load';
import { runCli } from '../support/cli';
import { startFaultProxy, stsAccessDenied } from '../support/fault-proxy';
import { startLocal } from '../support/local';
import { clientConfig, createOrganization, credentialsFor, withCredentials, type Credentials } from '../local-aws/emulator/helpers';

const HOME = 'us-east-1';
const REGIONS = ['eu-west-1', HOME];
const ROLE = 'cordon-responder';
const DLQ = 'cordon-dead-letters';

/** The responder stack as the doctor reads it: its dead-letter queue and the DryRun output (stacks/responder-stack.ts). */
function responderTemplate(dryRun: boolean): string {
  return JSON.stringify({
    Resources: { DeadLetterQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: DLQ } } },
    Outputs: {
      DeadLetterQueueUrl: { Value: { Ref: 'DeadLetterQueue' } },
      DryRun: { Value: String(dryRun) },
    },
  });
}

describe('cordon doctor against moto (Organizations, CloudFormation StackSets, STS, SQS) and the GuardDuty/Security Hub emulator', () => {
  let local: LocalAws;
  let sts: Awaited<ReturnType<typeof startFaultProxy>>;
  const deniedAccounts = new Set<string>();
  let security = '';
  let members: string[] = [];
  let adminCreds: Credentials;

  const doctor = (args: string[] = []): ReturnType<typeof runCli> =>
    withCredentials(adminCreds, () => runCli(['doctor', '--regions', REGIONS.join(','), ...args], { AWS_REGION: HOME }));
  const failed = (checks: ReadonlyArray<Record<string, unknown>>): Array<[unknown, unknown]> =>
    checks.filter((c) => c.status === 'fail').map((c) => [c.check, c.scope]);

  beforeAll(async () => {
    local = await startLocal({ awsManagedPolicies: false });
    // Prepare: management + security + 3 members.
    [security = '', ...members] = await createOrganization(local, ['security', 'member-1', 'member-2', 'member-3']);
    // GuardDuty and Security Hub on everywhere, the security account their administrator (cordon enable, management account).
    const enabled = await runCli(['enable', '--admin-account', security, '--regions', REGIONS.join(','), '--json']);
    expect(enabled.code).toBe(0);
    adminCreds = await credentialsFor(local, security);
    // The member-role StackSet, from the security account, to every account but the management account. (moto keeps a view of the organization
    // per account and resolves a service-managed StackSet's OUs only in the caller's own view, which for the delegated
    // administrator is empty; the StackSet here names the accounts instead, self-managed: ListStackInstances is the same.)
    const cfn = new CloudFormationClient(clientConfig(local, HOME, adminCreds));
    await cfn.send(
      new CreateStackSetCommand({
        StackSetName: MEMBER_ROLE_STACK_SET_NAME,
        PermissionModel: 'SELF_MANAGED',
        TemplateBody: JSON.stringify({ Resources: { Placeholder: { Type: 'AWS::CloudFormation::WaitConditionHandle' } } }),
      }),
    );
    await cfn.send(
      new CreateStackInstancesCommand({
        StackSetName: MEMBER_ROLE_STACK_SET_NAME,
        Accounts: [security, ...members],
        Regions: [HOME],
      }),
    );
    // The responder stack, dry run off.
    await cfn.send(new CreateStackCommand({ StackName: 'cordon-responder', TemplateBody: responderTemplate(false) }));
    // The custom actions the runbooks declare, in the home region.
    const hub = new SecurityHubClient(clientConfig(local, HOME, adminCreds));
    const specs = customActions(loadRunbooks('runbooks', ACTIONS));
    for (const a of specs) await hub.send(new CreateActionTargetCommand({ Id: a.id, Name: a.name, Description: a.description }));
    // STS through a proxy that refuses AssumeRole into chosen accounts, as a member role that is missing or does not trust the caller.
    sts = await startFaultProxy(local.endpoint, ({ call }) => {
      const arn = call?.operation === 'AssumeRole' ? (call.params.get('RoleArn') ?? '') : '';
      return [...deniedAccounts].some((id) => arn === `arn:aws:iam::${id}:role/${ROLE}`) ? stsAccessDenied(arn) : undefined;
    });
    process.env.AWS_ENDPOINT_URL_STS = sts.endpoint;
  }, 120_000);

  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_STS;
    await sts?.stop();
    await local?.stop();
  });

  it('reports a complete deployment: every check ok, a table and --json, exit 0', async () => {
    // Act
    const text = await doctor();
    const json = await doctor(['--json']);
    const sampled = await doctor(['--json', '--sample', '2']);

    // Assess
    expect(text.stderr).toBe('');
    expect(text.stdout).toContain('Nothing to fix.');
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^STATUS\s+CHECK\s+SCOPE\s+DETAIL$/);
    expect(text.stdout).toContain('Nothing to fix.');
    const checks = json.lines as unknown as DoctorCheck[];
    expect(json.code).toBe(0);
    expect(checks.every((c) => c.status === 'ok')).toBe(true);
    expect(checks.map((c) => [c.check, c.scope])).toEqual([
      ['stackset', `StackSet ${MEMBER_ROLE_STACK_SET_NAME}`],
      ['member-role', `role ${ROLE}`],
      ...REGIONS.map((r) => ['guardduty', r]),
      ...REGIONS.map((r) => ['securityhub', r]),
      ['action-targets', HOME],
      ['dead-letter-queue', DLQ],
      ['dry-run', 'responder'],
    ]);
    expect(checks.find((c) => c.check === 'stackset')?.detail).toMatch(/^4 instance\(s\) current/);
    expect(checks.find((c) => c.check === 'member-role')?.detail).toBe('assumed in 4 account(s)');
    expect(checks.find((c) => c.check === 'securityhub')?.detail).toBe('Security Hub CSPM (BatchUpdateFindings)');
    expect(sampled.code).toBe(0);
    expect((sampled.lines as unknown as DoctorCheck[]).find((c) => c.check === 'member-role')?.detail).toBe(
      'assumed in 2 account(s) (a sample of 4)',
    );
  });

  it('lists what to fix: an account without the role, a role it cannot assume, a GuardDuty gap, a message in the dead-letter queue; exit 1', async () => {
    // Prepare: a new account the StackSet does not reach (no instance, no GuardDuty yet), a member whose role refuses the
    // caller, a finding in the dead-letter queue, one custom action deleted.
    const org = new OrganizationsClient(clientConfig(local));
    const late =
      (await org.send(new CreateAccountCommand({ AccountName: 'late', Email: 'late@example.com' }))).CreateAccountStatus?.AccountId ?? '';
    const refusing = members[0] ?? '';
    deniedAccounts.add(refusing);
    const sqs = new SQSClient(clientConfig(local, HOME, adminCreds));
    const queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: DLQ }))).QueueUrl ?? '';
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"detail-type":"GuardDuty Finding"}' }));

    try {
      // Act
      const json = await doctor(['--json']);
      const text = await doctor();

      // Assess: every problem named, with what to do
      const checks = json.lines as unknown as DoctorCheck[];
      expect(json.code).toBe(1);
      expect(failed(json.lines).sort()).toEqual(
        [
          ['stackset', `StackSet ${MEMBER_ROLE_STACK_SET_NAME}`],
          ['member-role', refusing],
          ...REGIONS.map((r) => ['guardduty', r]),
          ['dead-letter-queue', DLQ],
        ].sort(),
      );
      expect(checks.find((c) => c.check === 'stackset')?.detail).toBe(`1 active account(s) without a member-role instance: ${late}`);
      expect(checks.find((c) => c.scope === refusing)?.detail).toMatch(/AccessDenied/);
      expect(checks.find((c) => c.check === 'guardduty' && c.scope === HOME)?.detail).toMatch(
        new RegExp(`^1 account\\(s\\) not fully covered: ${late} not-a-member`),
      );
      expect(checks.find((c) => c.check === 'dead-letter-queue')?.detail).toMatch(/^1 message\(s\)/);
      expect(checks.filter((c) => c.status === 'fail').every((c) => c.fix !== undefined && c.fix.length > 0)).toBe(true);
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(/^FAIL\s+dead-letter-queue\s+cordon-dead-letters\s+1 message/m);
      expect(text.stdout).toContain('To fix:\n');
      expect(text.stdout).toContain(`- stackset StackSet ${MEMBER_ROLE_STACK_SET_NAME}: add their organizational units`);
    } finally {
      deniedAccounts.clear();
      await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    }
  });

  it('warns that dry run is still on without failing, and refuses bad flags with exit 2 before any call', async () => {
    // Prepare: a second responder stack in dry run.
    const cfn = new CloudFormationClient(clientConfig(local, HOME, adminCreds));
    await cfn.send(
      new CreateStackCommand({
        StackName: 'cordon-responder-dry',
        TemplateBody: responderTemplate(true).replace(DLQ, `${DLQ}-dry`),
      }),
    );
    local.emulator.resetCalls();

    // Act
    const badSample = await doctor(['--sample', '0']);
    const badCallAs = await doctor(['--call-as', 'ROOT']);
    const badRegion = await doctor(['--regions', 'mars-1']);
    const callsAfterBadFlags = local.emulator.calls().length;
    const dry = await doctor(['--json', '--stack', 'cordon-responder-dry']);
    const missingStack = await doctor(['--json', '--stack', 'no-such-stack']);

    // Assess
    const dryRun = (dry.lines as unknown as DoctorCheck[]).find((c) => c.check === 'dry-run');
    expect(dryRun?.status).toBe('warn');
    expect(dryRun?.fix).toMatch(/cordon:dryRun to false/);
    for (const bad of [badSample, badCallAs, badRegion]) {
      expect(bad.code).toBe(2);
      expect(bad.stdout).toBe('');
    }
    expect(callsAfterBadFlags).toBe(0);
    expect(badSample.stderr).toBe('cordon doctor: doctor: --sample "0" must be a whole number from 1 to 100000\n');
    expect(badCallAs.stderr).toBe('cordon doctor: doctor: --call-as "ROOT" must be DELEGATED_ADMIN or SELF\n');
    expect(missingStack.code).toBe(1);
    expect((missingStack.lines as unknown as DoctorCheck[]).find((c) => c.check === 'responder-stack')?.detail).toMatch(/no-such-stack/);
  });
});

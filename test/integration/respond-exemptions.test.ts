import { CreateOrganizationalUnitCommand, ListRootsCommand, MoveAccountCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { guardDutyEvent, startFaultyEndpoint, type FaultProxy, type World, type LocalAws } from '../../local-aws';
import { interfaceGroups } from '../support/aws-like-instance';
import { runCli } from '../support/cli';
import { HOME_CREDENTIALS } from '../support/local';
import { auditFile, eventsFile, instanceOf, memberClients, publish, startWorld } from '../support/world';

/**
 * Exemptions no workload can change: by resource ARN and by OU, in the
 * responder's configuration. The OU of an account is read from Organizations
 * (ListParents, once per account per run); when it cannot be read, cordon
 * neither exempts nor acts, and says why. `cordon runbooks explain` names the
 * exemption that applies.
 */
describe('respond: exemptions by resource ARN and by OU', () => {
  let local: LocalAws;
  let world: World;
  let proxy: FaultProxy;
  let failListParents = false;
  let parentOu: string;
  let childOu: string;
  const region = 'us-east-1';

  beforeAll(async () => {
    ({ local, world } = await startWorld({ memberCount: 2, regions: [region] }));
    // The first member account sits in an OU nested in another: root → parent → child.
    const orgs = new OrganizationsClient({ endpoint: local.endpoint, region, credentials: HOME_CREDENTIALS });
    const root = (await orgs.send(new ListRootsCommand({}))).Roots?.[0]?.Id as string;
    parentOu = (await orgs.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'sandboxes' }))).OrganizationalUnit
      ?.Id as string;
    childOu = (await orgs.send(new CreateOrganizationalUnitCommand({ ParentId: parentOu, Name: 'team-a' }))).OrganizationalUnit
      ?.Id as string;
    await orgs.send(new MoveAccountCommand({ AccountId: world.memberAccountIds[0], SourceParentId: root, DestinationParentId: childOu }));
    orgs.destroy();
    // Organizations calls go through a proxy that counts them and, when asked, refuses ListParents as AWS would.
    proxy = await startFaultyEndpoint({
      target: local.endpoint,
      motoEndpoint: local.motoEndpoint,
      rule: ({ call }) =>
        failListParents && call?.operation === 'ListParents'
          ? {
              status: 400,
              contentType: 'application/x-amz-json-1.1',
              body: JSON.stringify({ __type: 'AccessDeniedException', Message: "You don't have permissions to access this resource." }),
            }
          : undefined,
    });
    process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = proxy.endpoint;
  }, 120_000);
  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_ORGANIZATIONS;
    await proxy?.stop();
    await local?.stop();
  });

  const explainFile = (findings: ReadonlyArray<Record<string, unknown>>): string => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-explain-')), 'findings.json');
    fs.writeFileSync(file, findings.map((f) => JSON.stringify(guardDutyEvent(f))).join('\n'));
    return file;
  };

  it('skips an instance listed by ARN (wildcards allowed), and explain says so; a tag on the instance exempts nothing when tags are off', async () => {
    // Prepare: web-1 exempt by ARN pattern; web-2 tagged cordon:exempt=true by its workload, with exemption by tag turned off
    const account = world.memberAccountIds[1] as string;
    const [web1, web2] = [instanceOf(world, account, region, 'web-1'), instanceOf(world, account, region, 'web-2')];
    const { ec2 } = await memberClients(local, world, account, region);
    await ec2.send(new CreateTagsCommand({ Resources: [web2.target.instanceId], Tags: [{ Key: 'cordon:exempt', Value: 'true' }] }));
    const [exempt, tagged] = [web1, web2].map((i) =>
      publish(local, 'CryptoCurrency:EC2/BitcoinTool.B', { accountId: account, region, instance: i.target, seed: `arn-${i.name}` }),
    ) as [Record<string, unknown>, Record<string, unknown>];
    const pattern = `arn:aws:ec2:*:${account}:instance/${web1.target.instanceId.slice(0, 6)}*`;
    const env = { CORDON_AUDIT_FILE: auditFile(), CORDON_EXEMPT_RESOURCE_ARNS: pattern, CORDON_EXEMPT_TAG: 'none' };
    const before = await interfaceGroups(ec2, web1.target.instanceId);

    // Act
    const run = await runCli(['respond', eventsFile([exempt, tagged]), '--json'], env);
    const explained = await runCli(['runbooks', 'explain', explainFile([exempt]), '--json'], env);

    // Assess
    const reason = `arn:aws:ec2:${region}:${account}:instance/${web1.target.instanceId} is exempt (exemptResourceArns: ${pattern})`;
    expect(run.lines[0]).toMatchObject({ decision: 'skip', reason, actions: [] });
    expect(await interfaceGroups(ec2, web1.target.instanceId)).toEqual(before);
    expect(run.lines[1]).toMatchObject({ decision: 'act' });
    expect(explained.code).toBe(0);
    expect(explained.lines[0]).toMatchObject({ decision: 'act', exemption: reason });
  });

  it("skips every finding of an account under an exempt OU (nested OUs included), reading each account's OUs once per run; explain names the OU", async () => {
    // Prepare
    const account = world.memberAccountIds[0] as string;
    const findings = ['web-1', 'web-2'].map((name) =>
      publish(local, 'Backdoor:EC2/C&CActivity.B', {
        accountId: account,
        region,
        instance: instanceOf(world, account, region, name).target,
        seed: `ou-${name}`,
      }),
    );
    const { ec2 } = await memberClients(local, world, account, region);
    const before = await interfaceGroups(ec2, instanceOf(world, account, region, 'web-2').target.instanceId);
    const env = { CORDON_AUDIT_FILE: auditFile(), CORDON_EXEMPT_OUS: parentOu };
    proxy.resetCalls();

    // Act
    const run = await runCli(['respond', eventsFile(findings), '--json'], env);
    const calls = proxy.calls().filter((c) => c.operation === 'ListParents').length;
    const explained = await runCli(['runbooks', 'explain', explainFile(findings.slice(0, 1))], env);

    // Assess: both skipped with the OU named; account → child → parent → root: three calls for the two findings
    const reason = `account ${account} is in ${parentOu} (through ${childOu}), exempt (exemptOus)`;
    expect(run.code).toBe(0);
    expect(run.lines.map((l) => [l.decision, l.reason])).toEqual([
      ['skip', reason],
      ['skip', reason],
    ]);
    expect(calls).toBe(3);
    expect(await interfaceGroups(ec2, instanceOf(world, account, region, 'web-2').target.instanceId)).toEqual(before);
    expect(explained.stdout).toContain(`  exemption: ${reason}: cordon would not act`);
  });

  it('neither exempts nor acts when the OUs cannot be read: every action failed with the reason, nothing changed, exit 1', async () => {
    // Prepare: ListParents refused (e.g. the responder's role lacks organizations:ListParents)
    const account = world.memberAccountIds[1] as string;
    const web1 = instanceOf(world, account, region, 'web-1');
    const finding = publish(local, 'Trojan:EC2/BlackholeTraffic', {
      accountId: account,
      region,
      instance: web1.target,
      seed: 'ou-unknown',
    });
    const { ec2 } = await memberClients(local, world, account, region);
    const before = await interfaceGroups(ec2, web1.target.instanceId);
    failListParents = true;

    // Act
    let run;
    try {
      run = await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: auditFile(), CORDON_EXEMPT_OUS: parentOu });
    } finally {
      failListParents = false;
    }

    // Assess
    expect(run.code).toBe(1);
    const actions = run.lines[0]?.actions as Array<{ status: string; detail: string }>;
    expect(actions.length).toBeGreaterThan(0);
    for (const a of actions) {
      expect(a.status).toBe('failed');
      expect(a.detail).toMatch(
        new RegExp(
          `^cannot check exemptions: cannot tell whether account ${account} is in an exempt OU \\(Organizations ListParents: AccessDenied`,
        ),
      );
      expect(a.detail).toMatch(/not acting on it$/);
    }
    expect(await interfaceGroups(ec2, web1.target.instanceId)).toEqual(before);
  });
});

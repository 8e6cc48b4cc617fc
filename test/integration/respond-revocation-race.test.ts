import { CreateRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { createAuditTable } from '../../bench/harness';
import { guardDutyEvent, sampleFinding, type World, type LocalAws } from '../../local-aws';
import { parseInput } from '../../src/findings/parse';
import { releaseFinding } from '../../src/release/release';
import { respond } from '../../src/respond/responder';
import type { FindingResult } from '../../src/respond/result';
import type { Responder } from '../../src/respond/wiring';
import { startFaultyEndpoint, type FaultProxy } from '../support/fault-proxy';
import { lambdaEnvironment, memberClients, startWorld } from '../support/world';
import { revocationStatements } from '../support/revocations';

/**
 * Two findings about two instances sharing one role, revoked at the same
 * moment (in one batch, or in two Lambda environments, each with its own
 * credentials cache and clients, on one DynamoDB audit table): every
 * read-modify-write of the role's inline policy runs under a lease on the
 * role, so neither revocation overwrites the other, and neither release does.
 * IAM's writes of the policy are slowed down (1.5 s before they reach IAM)
 * so that, without the lease, each would read the policy before the other's
 * write lands, and the last write would drop the other's statement.
 */
describe('respond: concurrent revocations on one role lose nothing', () => {
  let local: LocalAws;
  let world: World;
  let account: string;
  let iam: IAMClient;
  let proxy: FaultProxy;
  const region = 'us-east-1';
  const table = 'cordon-revocation-race';
  const responders: Responder[] = [];
  const EXFILTRATION = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS';

  const environment = (name: string): Responder => {
    const r = lambdaEnvironment(table, name, () => new Date('2026-11-24T10:05:00.000Z'));
    responders.push(r);
    return r;
  };
  const deliver = (responder: Responder, findings: ReadonlyArray<Record<string, unknown>>): Promise<FindingResult[]> =>
    respond(parseInput(findings.map((f) => JSON.stringify(guardDutyEvent(f))).join('\n')), responder.deps);
  /** The Sids of cordon's revocation statements on the role (one per instance revoked, each in its own policy), sorted. */
  const revokedSids = async (roleName: string): Promise<string[]> => (await revocationStatements(iam, roleName)).map((s) => s.Sid).sort();
  /** Two exfiltration findings about two instances of one role (a fleet). */
  const fleetFindings = async (roleName: string): Promise<{ findings: Array<Record<string, unknown>>; sids: string[] }> => {
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    const instances = ['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2'];
    const findings = instances
      .map((i) => `${role.Role?.RoleId as string}:${i}`)
      .map((principalId, n) =>
        sampleFinding(EXFILTRATION, {
          accountId: account,
          region,
          accessKey: {
            accessKeyId: `ASIARACE${roleName.toUpperCase().slice(0, 6)}${n}`,
            userName: roleName,
            userType: 'AssumedRole',
            principalId,
          },
          seed: `${roleName}-${n}`,
        }),
      );
    for (const f of findings) local.emulator.publishGuardDutyFinding(f);
    return { findings, sids: instances.map((i) => `CordonRevokeOlderSessions${i.replace('-', '')}`) };
  };

  beforeAll(async () => {
    ({ local, world } = await startWorld({ memberCount: 1, regions: [region] }));
    await createAuditTable(local, table);
    account = world.memberAccountIds[0] as string;
    iam = (await memberClients(local, world, account, region)).iam;
    // Every responder's IAM goes through a proxy that holds writes of a role's policy back.
    proxy = await startFaultyEndpoint({
      target: local.endpoint,
      motoEndpoint: local.motoEndpoint,
      latencyMs: (call) => (call.operation === 'PutRolePolicy' || call.operation === 'DeleteRolePolicy' ? 1500 : 0),
    });
    process.env.AWS_ENDPOINT_URL_IAM = proxy.endpoint;
  }, 120_000);
  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_IAM;
    for (const r of responders) r.close();
    await proxy?.stop();
    await local?.stop();
  });

  it('two Lambda environments revoking two instances of one role at once: both statements are in place', async () => {
    // Prepare
    const { findings, sids } = await fleetFindings('race-role');
    const [envA, envB] = [environment('lambda-env-a'), environment('lambda-env-b')];

    // Act: each environment receives one of the findings at the same moment
    const [a, b] = await Promise.all([deliver(envA, [findings[0] ?? {}]), deliver(envB, [findings[1] ?? {}])]);

    // Assess: both revocations done, and both in IAM
    expect([a[0], b[0]].map((r) => r?.actions.map((x) => `${x.action}:${x.status}`))).toEqual([
      ['iam.revoke-role-sessions:done'],
      ['iam.revoke-role-sessions:done'],
    ]);
    expect(await revokedSids('race-role')).toEqual(sids);
  });

  it('one batch with both findings: both statements are in place', async () => {
    // Prepare
    const { findings, sids } = await fleetFindings('batch-role');

    // Act
    const results = await deliver(environment('lambda-env-c'), findings);

    // Assess
    expect(results.map((r) => r.actions.map((x) => x.status))).toEqual([['done'], ['done']]);
    expect(await revokedSids('batch-role')).toEqual(sids);
  });

  it('two releases at once in two environments: each removes its own statement, and the policy goes', async () => {
    // Prepare: both revoked, one after the other
    const { findings } = await fleetFindings('release-role');
    await deliver(environment('lambda-env-d'), findings);
    const [envE, envF] = [environment('lambda-env-e'), environment('lambda-env-f')];
    // Both findings name the role as the resource they changed, so each release would wait for the other: forced (each still
    // removes only its own statement).
    const options = { dryRun: false, force: true, reactivateKeys: false };

    // Act
    const [one, two] = await Promise.all(
      findings.map((f, i) => releaseFinding(String(f.id), { ...(i === 0 ? envE : envF).deps, actor: `analyst-${i}` }, options)),
    );

    // Assess: neither release put back the other's statement
    expect([one?.actions, two?.actions].map((actions) => actions?.map((x) => x.status))).toEqual([['done'], ['done']]);
    expect(await revokedSids('release-role')).toEqual([]);
  });
});

import { responderSettings } from '../../src/config/settings';
import { guardDutyEvent, sampleFinding, startFaultyEndpoint, type FaultProxy, type LocalAws, type World } from '../../local-aws';
import { parseInput } from '../../src/findings/parse';
import { respond } from '../../src/respond/responder';
import { buildResponder } from '../../src/respond/wiring';
import { interfaceGroups } from '../support/aws-like-instance';
import { auditFile, hubFinding, instanceOf, memberClients, startWorld } from '../support/world';

/**
 * GuardDuty sample findings (CreateSampleFindings marks them with
 * `service.additionalInfo.sample`) are never acted on: decided before any AWS
 * call, and nothing in AWS changes, not even their Security Hub copy.
 */
describe('respond: GuardDuty sample findings', () => {
  let local: LocalAws;
  let world: World;
  let proxy: FaultProxy;
  const region = 'us-east-1';

  beforeAll(async () => {
    ({ local, world } = await startWorld({ memberCount: 1, regions: [region] }));
    proxy = await startFaultyEndpoint({ target: local.endpoint, motoEndpoint: local.motoEndpoint });
  }, 120_000);
  afterAll(async () => {
    await proxy?.stop();
    await local?.stop();
  });

  it('skips a sample about a real instance with the reason "sample finding", calling no AWS API at all', async () => {
    // Prepare: a sample crypto-mining finding naming a real instance (samples name made-up ids, or real ones by accident)
    const account = world.memberAccountIds[0] as string;
    const web1 = instanceOf(world, account, region, 'web-1');
    const finding = sampleFinding('CryptoCurrency:EC2/BitcoinTool.B!DNS', { accountId: account, region, instance: web1.target });
    (finding.service as Record<string, unknown>).additionalInfo = { sample: true, type: 'default', value: '{}' };
    local.emulator.publishGuardDutyFinding(finding);
    const { ec2 } = await memberClients(local, world, account, region);
    const before = await interfaceGroups(ec2, web1.target.instanceId);
    // Every client the responder makes points at the recording proxy (the SDK reads AWS_ENDPOINT_URL as it makes them).
    const previous = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = proxy.endpoint;
    const responder = buildResponder(responderSettings({ ...process.env, CORDON_AUDIT_FILE: auditFile() }));
    proxy.resetCalls();

    // Act
    let results;
    try {
      results = await respond(parseInput(JSON.stringify(guardDutyEvent(finding))), responder.deps);
    } finally {
      process.env.AWS_ENDPOINT_URL = previous;
      responder.close();
    }

    // Assess: skipped, with no call through the endpoint, and AWS as it was
    expect(results).toEqual([
      expect.objectContaining({
        decision: 'skip',
        reason: 'sample finding',
        actions: [],
        securityHub: { status: 'skipped', detail: 'sample finding: Security Hub not written' },
      }),
    ]);
    expect(proxy.calls()).toEqual([]);
    expect(await interfaceGroups(ec2, web1.target.instanceId)).toEqual(before);
    expect((await hubFinding(local, finding))?.Workflow?.Status).toBe('NEW');
  });
});

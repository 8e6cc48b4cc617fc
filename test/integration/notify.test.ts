import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import type { LocalAws, World } from '../../local-aws';
import { notificationDetailSchema, NOTIFICATION_DETAIL_TYPES } from '../../src/notify/notification';
import { runCli } from '../support/cli';
import { HOME_CREDENTIALS } from '../support/local';
import { auditFile, eventsFile, publish, startWorld } from '../support/world';

/** Notifications: one `source: cordon` event per finding, through an EventBridge rule (as the stack routes them) to an SQS queue in moto. */
describe('notifications (EventBridge PutEvents from the responder)', () => {
  let local: LocalAws;
  let world: World;
  let sqs: SQSClient;
  let queueUrl: string;
  const region = 'us-east-1';

  beforeAll(async () => {
    ({ local, world } = await startWorld({ memberCount: 1, regions: [region] }));
    const config = { endpoint: local.endpoint, region, credentials: HOME_CREDENTIALS };
    sqs = new SQSClient(config);
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'cordon-notifications' }))).QueueUrl as string;
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes
      ?.QueueArn;
    const events = new EventBridgeClient(config);
    await events.send(
      new PutRuleCommand({
        Name: 'cordon-notifications',
        EventPattern: JSON.stringify({ source: ['cordon'], 'detail-type': [{ prefix: 'cordon Finding' }] }),
      }),
    );
    await events.send(new PutTargetsCommand({ Rule: 'cordon-notifications', Targets: [{ Id: 'queue', Arn: queueArn }] }));
    events.destroy();
  }, 120_000);
  afterAll(async () => {
    sqs?.destroy();
    await local?.stop();
  });

  it('publishes one event per finding acted on, in the documented schema, naming account, resource, runbook and what remains', async () => {
    // Prepare: an IAM user's leaked key (contained) and a low-severity finding (skipped by policy: no notification).
    const account = world.memberAccountIds[0] as string;
    const bot = world.users.find((u) => u.accountId === account && u.userName === 'deploy-bot');
    const leaked = publish(local, 'UnauthorizedAccess:IAMUser/MaliciousIPCaller', {
      accountId: account,
      region,
      accessKey: { accessKeyId: bot?.accessKeyId ?? '', userName: 'deploy-bot', userType: 'IAMUser' },
      seed: 'notify-1',
    });
    const quiet = publish(local, 'Recon:IAMUser/MaliciousIPCaller', {
      accountId: account,
      region,
      accessKey: { accessKeyId: bot?.accessKeyId ?? '', userName: 'deploy-bot', userType: 'IAMUser' },
      severity: 1,
      seed: 'notify-2',
    });
    // Act
    const run = await runCli(['respond', eventsFile([leaked, quiet]), '--json'], {
      CORDON_AUDIT_FILE: auditFile(),
      CORDON_NOTIFY_BUS: 'default',
    });
    const messages =
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? [];
    // Assess
    expect(run.code).toBe(0);
    expect(run.lines.map((l) => l.decision)).toEqual(['act', 'skip']);
    expect(messages).toHaveLength(1);
    const event = JSON.parse(messages[0]?.Body ?? '{}') as { source: string; 'detail-type': string; resources: string[]; detail: unknown };
    const detail = notificationDetailSchema.parse(event.detail);
    expect(event.source).toBe('cordon');
    expect(event.resources).toEqual([String(run.lines[0]?.findingArn)]);
    expect(event['detail-type']).toBe(NOTIFICATION_DETAIL_TYPES[detail.outcome]);
    expect(detail).toMatchObject({ findingId: leaked.id, accountId: account, region, runbook: run.lines[0]?.runbook });
    expect(detail.resources).toContain('deploy-bot');
    expect(detail.summary).toContain(`in ${account}/${region}`);
    expect(detail.summary).toContain(`runbook ${String(run.lines[0]?.runbook)}`);
    expect(detail.remains).toEqual(run.lines[0]?.remains ?? []);
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbAuditStore } from '../../src/audit/dynamodb-store';
import { FileAuditStore } from '../../src/audit/file-store';
import type { Incident } from '../../src/audit/history';
import type { LocalAws } from '../../local-aws';
import { createAuditTable } from '../support/audit-table';
import { sampleAuditRecords } from '../support/audit-records';
import { runCli } from '../support/cli';
import { HOME_CREDENTIALS, startLocal } from '../support/local';

const A1 = '210000000001';
const A2 = '210000000002';

/** `cordon history` against the deployed audit table (moto's DynamoDB, reached through the stack's outputs) and the local file. */
describe('cordon history (audit table time index, --stack, the local file)', () => {
  let local: LocalAws;
  let work: string;
  const region = 'us-east-1';
  const table = 'cordon-audit-history';

  beforeAll(async () => {
    local = await startLocal();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-history-'));
    const dynamo = new DynamoDBClient({ endpoint: local.endpoint, region, credentials: HOME_CREDENTIALS });
    await createAuditTable(dynamo, table);
    await new DynamoDbAuditStore(dynamo, table).append(sampleAuditRecords(new Date(), [A1, A2]));
    dynamo.destroy();
    // The responder stack, as CloudFormation knows it: only its AuditTableName output matters here.
    const cfn = new CloudFormationClient({ endpoint: local.endpoint, region, credentials: HOME_CREDENTIALS });
    await cfn.send(
      new CreateStackCommand({
        StackName: 'cordon-responder',
        TemplateBody: JSON.stringify({
          Resources: { Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
          Outputs: { AuditTableName: { Value: table } },
        }),
      }),
    );
    cfn.destroy();
  }, 120_000);
  afterAll(async () => {
    await local?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('reads the deployed table named by the stack outputs: one timeline per incident, newest first, with the state replaced', async () => {
    // Act
    const run = await runCli(['history', '--stack', 'cordon-responder', '--json']);
    // Assess
    expect(run.code).toBe(0);
    const list = run.lines as unknown as Incident[];
    expect(list.map((i) => [i.findingId, i.outcome, i.events.length])).toEqual([
      ['f-ec2-1', 'released', 3],
      ['f-iam-1', 'contained', 1],
    ]);
    expect(list[0]?.events.map((e) => [e.actor, e.action, e.status])).toEqual([
      ['respond', 'ec2.snapshot', 'done'],
      ['respond', 'ec2.isolate', 'done'],
      ['release', 'ec2.isolate', 'done'],
    ]);
    expect(list[0]?.events[1]?.prior).toEqual({ groups: ['sg-0web', 'sg-0ssh'] });
  });

  it('filters by account, by finding and by age, and prints the table it read', async () => {
    // Act
    const account = await runCli(['history', '--stack', 'cordon-responder', '--account', A2, '--json']);
    const finding = await runCli(['history', '--stack', 'cordon-responder', '--finding', 'f-ec2-1', '--since', '45m', '--json']);
    const recent = await runCli(['history', '--since', '2h'], { CORDON_AUDIT_TABLE: table });
    // Assess
    expect(account.lines.map((i) => i.findingId)).toEqual(['f-iam-1']);
    expect((finding.lines as unknown as Incident[]).map((i) => [i.findingId, i.events.length])).toEqual([['f-ec2-1', 1]]);
    expect(recent.code).toBe(0);
    expect(recent.stdout).toContain(`DynamoDB table ${table}`);
    expect(recent.stdout).toContain('RELEASED CryptoCurrency:EC2/BitcoinTool.B!DNS');
    expect(recent.stdout).not.toContain('ec2.snapshot');
    expect(recent.stdout).toContain('replaced {"status":"Active"}');
  });

  it('reaches the deployment by --stack from status too, and refuses a stack that is not there (exit 2)', async () => {
    // Act
    const status = await runCli(['status', '--stack', 'cordon-responder']);
    const missing = await runCli(['history', '--stack', 'cordon-nothing']);
    // Assess
    expect(status.stdout).toContain(`DynamoDB table ${table}`);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toContain('--stack cordon-nothing: cannot read the stack in us-east-1');
  });

  it('reads the local audit file the same way, and writes the HTML page', async () => {
    // Prepare
    const file = path.join(work, 'audit.jsonl');
    await new FileAuditStore(file).append(sampleAuditRecords(new Date(), [A1, A2]));
    const html = path.join(work, 'history.html');
    // Act
    const run = await runCli(['history', '--json', '--html', html], { CORDON_AUDIT_FILE: file, CORDON_AUDIT_TABLE: '' });
    // Assess
    expect(run.lines.map((i) => i.findingId)).toEqual(['f-ec2-1', 'f-iam-1']);
    expect(run.stderr).toContain(`wrote ${html} (2 incident(s))`);
    expect(fs.readFileSync(html, 'utf8')).toContain('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS');
  });

  it('refuses bad flags with exit 2 and reads nothing', async () => {
    // Act
    const since = await runCli(['history', '--since', 'last tuesday']);
    const account = await runCli(['history', '--account', '12']);
    // Assess
    expect(since).toMatchObject({ code: 2 });
    expect(since.stderr).toContain('--since "last tuesday" is neither an age');
    expect(account.stderr).toContain('--account "12" is not a 12-digit account id');
  });
});

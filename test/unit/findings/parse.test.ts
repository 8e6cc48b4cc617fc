import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseInput } from '../../../src/findings/parse';
import { InputError } from '../../../src/errors';

const fixture = (name: string): string => fs.readFileSync(path.join(__dirname, '../../fixtures', name), 'utf8');

describe('parseInput', () => {
  it('reads a GuardDuty EventBridge event into a Finding', () => {
    // Act
    const [item] = parseInput(fixture('guardduty/crypto-ec2.event.json'));

    // Assess
    expect(item?.kind).toBe('finding');
    if (item?.kind !== 'finding') return;
    expect(item.finding).toMatchObject({
      accountId: '111122223333',
      region: 'us-east-1',
      type: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
      severity: 8,
      count: 1,
      resourceRole: 'ACTOR',
      instance: {
        instanceId: 'i-0a1b2c3d4e5f60718',
        networkInterfaces: [{ networkInterfaceId: 'eni-0123456789abcdef0', securityGroupIds: ['sg-0123456789abcdef0'] }],
      },
      origin: { kind: 'guardduty' },
    });
    expect(item.finding.instance?.tags).toEqual({ Name: 'web-1', env: 'prod' });
    expect(item.finding.arn).toMatch(/^arn:aws:guardduty:us-east-1:111122223333:detector\/[0-9a-f]+\/finding\/[0-9a-f]{32}$/);
  });

  it('reads the SDK/CLI PascalCase shape of a GetFindings response', () => {
    const items = parseInput(fixture('guardduty/get-findings-response.json'));
    expect(items).toHaveLength(1);
    expect(items[0]?.kind === 'finding' && items[0].finding.type).toBe('Backdoor:EC2/C&CActivity.B!DNS');
    expect(items[0]?.kind === 'finding' && items[0].finding.instance?.instanceId).toBe('i-0a1b2c3d4e5f60718');
  });

  it('extracts the inbound attacker address of a brute-force finding', () => {
    const [item] = parseInput(fixture('guardduty/ssh-bruteforce.event.json'));
    expect(item?.kind === 'finding' && item.finding.remoteIps).toEqual([{ ip: '203.0.113.66', direction: 'INBOUND' }]);
    expect(item?.kind === 'finding' && item.finding.resourceRole).toBe('TARGET');
  });

  it('reads access key and bucket details', () => {
    const [iam] = parseInput(fixture('guardduty/iam-user-anomalous.event.json'));
    const [s3] = parseInput(fixture('guardduty/s3-public.event.json'));
    expect(iam?.kind === 'finding' && iam.finding.accessKey).toEqual({
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      userName: 'deploy-bot',
      userType: 'IAMUser',
      principalId: expect.any(String),
    });
    expect(s3?.kind === 'finding' && s3.finding.buckets).toEqual(['example-exposed-bucket']);
  });

  it('turns a Security Hub custom action event into references and foreign findings', () => {
    const items = parseInput(fixture('securityhub/custom-action.event.json'));
    expect(items.map((i) => i.kind)).toEqual(['ref', 'foreign']);
    const ref = items[0];
    expect(ref?.kind === 'ref' && ref.ref).toMatchObject({
      accountId: '111122223333',
      region: 'us-east-1',
      origin: {
        kind: 'custom-action',
        actionName: 'Isolate EC2',
        actionArn: 'arn:aws:securityhub:us-east-1:999988887777:action/custom/IsolateEC2',
      },
      count: 1,
    });
  });

  it("turns the new Security Hub's Findings Imported V2 event (OCSF) into references and foreign findings", () => {
    // Act
    const items = parseInput(fixture('securityhub/findings-imported-v2.event.json'));

    // Assess
    expect(items.map((i) => i.kind)).toEqual(['ref', 'foreign']);
    expect(items[0]).toMatchObject({
      where: 'item 1, detail.findings[0]',
      ref: {
        arn: 'arn:aws:guardduty:us-east-1:111122223333:detector/26586704ab6c4c58493aa90045d7c3eb/finding/2573a69f6bb003ec332c5fef5bdd0e5c',
        findingId: '2573a69f6bb003ec332c5fef5bdd0e5c',
        accountId: '111122223333',
        region: 'us-east-1',
        partition: 'aws',
        origin: {
          kind: 'imported',
          workflowStatus: 'NEW',
          noteUpdatedBy: undefined,
          noteUpdatedAt: undefined,
          findingUpdatedAt: '2026-11-24T10:05:00.000Z',
        },
      },
    });
    expect(items[1]).toMatchObject({
      foreign: { productArn: 'arn:aws:securityhub:us-east-1::productv2/aws/inspector', accountId: '111122223333' },
    });
  });

  it("reads cordon's own comment in a V2 finding as the GuardDuty update it handled, and refuses a GuardDuty finding without its ARN", () => {
    // Prepare
    const event = JSON.parse(fixture('securityhub/findings-imported-v2.event.json')) as {
      detail: { findings: Array<Record<string, unknown> & { finding_info: Record<string, unknown> }> };
    };
    const [first] = event.detail.findings;
    if (!first) throw new Error('fixture has no finding');
    const handled = { ...first, status_id: 2, comment: '[cordon 2026-11-24T10:05:00.000Z] cordon ran runbook x' };
    const broken = { ...first, finding_info: { ...first.finding_info, uid: 'not-an-arn' } };

    // Act
    const [item] = parseInput(JSON.stringify({ ...event, detail: { findings: [handled] } }));
    const bad = (): unknown => parseInput(JSON.stringify({ ...event, detail: { findings: [broken] } }));

    // Assess
    expect(item?.kind === 'ref' && item.ref.origin).toEqual({
      kind: 'imported',
      workflowStatus: 'IN_PROGRESS',
      noteUpdatedBy: 'cordon',
      noteUpdatedAt: '2026-11-24T10:05:00.000Z',
      findingUpdatedAt: '2026-11-24T10:05:00.000Z',
    });
    expect(bad).toThrow(InputError);
    expect(bad).toThrow(
      'item 1, detail.findings[0]: finding_info.uid: expected a GuardDuty finding ARN for a GuardDuty finding, got "not-an-arn"',
    );
  });

  it('reads JSON arrays and JSON lines', () => {
    const one = JSON.stringify(JSON.parse(fixture('guardduty/crypto-ec2.event.json')));
    const two = JSON.stringify(JSON.parse(fixture('guardduty/s3-public.event.json')));
    expect(parseInput(`[${one},${two}]`)).toHaveLength(2);
    expect(parseInput(`${one}\n${two}\n`)).toHaveLength(2);
  });

  it.each([
    ['malformed/empty.json', /input is empty/],
    ['malformed/truncated.json', /not valid JSON/],
    ['malformed/missing-account.json', /item 1, detail: accountId: required field is missing/],
    ['malformed/severity-not-number.json', /item 1, detail: severity: .*expected number/],
    ['malformed/missing-resource.json', /item 1, detail: resource: required field is missing/],
    ['malformed/other-source.json', /source "aws\.ec2" and detail-type "EC2 Instance State-change Notification" are not handled/],
  ])('rejects %s with a message naming the problem', (name, message) => {
    expect(() => parseInput(fixture(name))).toThrow(InputError);
    expect(() => parseInput(fixture(name))).toThrow(message);
  });

  it('names the bad line of JSON lines', () => {
    const one = JSON.stringify(JSON.parse(fixture('guardduty/crypto-ec2.event.json')));
    expect(() => parseInput(`${one}\n{oops`)).toThrow(/line 2 is not valid JSON/);
  });

  it('rejects an array holding a non-object', () => {
    expect(() => parseInput('[1]')).toThrow(/item 1: expected a JSON object, got number/);
  });
});

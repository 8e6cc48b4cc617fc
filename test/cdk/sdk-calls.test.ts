import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scanFile } from './support/sdk-calls';

/** Scans a throwaway source file (never imported or run: only read). */
function scan(source: string): Array<{ iamAction: string; via: string; line: number; inUndo: boolean }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-sdk-calls-'));
  try {
    const file = path.join(dir, 'sample.ts');
    fs.writeFileSync(file, source);
    return scanFile(file, dir).map(({ iamAction, via, line, inUndo }) => ({ iamAction, via, line, inUndo }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('the SDK call scanner (test/cdk/support/sdk-calls.ts)', () => {
  it('names the operation of an aliased import after what it imports, not the local alias', () => {
    // Act
    const calls = scan(
      [
        "import { CreateSnapshotCommand as Snap, paginateDescribeSnapshots as pages } from '@aws-sdk/client-ec2';",
        "import { PutBucketPolicyCommand as PutPolicy } from '@aws-sdk/client-s3';",
        'export async function run(c: any) {',
        '  await c.send(new Snap({ VolumeId: "v", TagSpecifications: [] }));',
        '  for await (const _p of pages({ client: c }, {})) void _p;',
        '  return { undo: { go: () => new PutPolicy({}) } };',
        '}',
      ].join('\n'),
    );
    // Assess
    expect(calls).toEqual([
      { iamAction: 'ec2:CreateSnapshot', via: 'CreateSnapshotCommand', line: 4, inUndo: false },
      { iamAction: 'ec2:CreateTags', via: 'CreateSnapshotCommand TagSpecifications', line: 4, inUndo: false },
      { iamAction: 'ec2:DescribeSnapshots', via: 'paginateDescribeSnapshots', line: 5, inUndo: false },
      { iamAction: 's3:PutBucketPolicy', via: 'PutBucketPolicyCommand', line: 6, inUndo: true },
    ]);
  });

  it('follows namespace imports, and ignores look-alikes from other packages', () => {
    // Act
    const calls = scan(
      [
        "import * as iam from '@aws-sdk/client-iam';",
        "import { DeleteThingCommand } from './local-commands';",
        'export const a = new iam.PutRolePolicyCommand({});',
        'export const b = new DeleteThingCommand();',
      ].join('\n'),
    );
    // Assess
    expect(calls).toEqual([{ iamAction: 'iam:PutRolePolicy', via: 'PutRolePolicyCommand', line: 3, inUndo: false }]);
  });

  it('adds the dependent actions IAM also checks for an operation (AssociateFirewallRuleGroup: ec2:DescribeVpcs)', () => {
    // Act
    const calls = scan(
      "import { AssociateFirewallRuleGroupCommand as A } from '@aws-sdk/client-route53resolver';\nexport const a = new A({} as never);",
    );
    // Assess
    expect(calls).toEqual([
      { iamAction: 'route53resolver:AssociateFirewallRuleGroup', via: 'AssociateFirewallRuleGroupCommand', line: 2, inUndo: false },
      { iamAction: 'ec2:DescribeVpcs', via: 'AssociateFirewallRuleGroupCommand (dependent action)', line: 2, inUndo: false },
    ]);
  });

  it('maps S3 Block Public Access operations to their IAM action names', () => {
    // Act
    const calls = scan("import { GetPublicAccessBlockCommand as G } from '@aws-sdk/client-s3';\nexport const g = new G({});");
    // Assess
    expect(calls.map((c) => c.iamAction)).toEqual(['s3:GetBucketPublicAccessBlock']);
  });
});

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { DeployConfigError } from '../../stacks/config';
import { TAG_ACTIONS, tagGuardPolicy } from '../../stacks/tag-guard-stack';
import { denyingStatements } from '../support/iam-deny';
import { cfnLint, cfnLintVersion, CFN_LINT_INSTALL } from './support/cfn-lint';
import { cleanUp, ENABLER_CONTEXT, MANAGEMENT_ACCOUNT_ID, synthCordon, TEST_CONTEXT, type Synthesized } from './support/synth';

const APPROVER = 'arn:aws:iam::*:role/security-approver';

/** A template value with `Fn::Join`s of `Ref AWS::Partition` resolved, as CloudFormation does in one partition. */
function resolvePartition(value: unknown, partition: string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolvePartition(v, partition));
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if (record.Ref === 'AWS::Partition') return partition;
  const join = record['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map((part) => resolvePartition(part, partition)).join(join[0]);
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, resolvePartition(v, partition)]));
}

describe('tag guard stack (optional service control policy)', () => {
  let synth: Synthesized;
  let template: Template;

  beforeAll(() => {
    synth = synthCordon({
      ...ENABLER_CONTEXT,
      'cordon:tagGuard': 'true',
      'cordon:tagApproverRoleArns': APPROVER,
      'cordon:exemptTag': 'security:exempt=yes',
    });
    const stack = synth.stacks.tagGuard;
    if (!stack) throw new Error('no tag guard stack');
    template = Template.fromStack(stack);
  });
  afterAll(() => cleanUp(synth));

  it('is off by default, and asks for the management account when turned on without it', () => {
    // Act
    const off = synthCordon(ENABLER_CONTEXT);
    cleanUp(off);
    // Assess
    expect(off.stacks.tagGuard).toBeUndefined();
    expect(() => synthCordon({ ...TEST_CONTEXT, 'cordon:tagGuard': 'true' })).toThrow(DeployConfigError);
    expect(() => synthCordon({ ...TEST_CONTEXT, 'cordon:tagGuard': 'true' })).toThrow(/cordon:tagGuard: needs cordon:managementAccountId/);
  });

  it("is one service control policy in the management account's us-east-1, attached to the deployment targets", () => {
    // Assess
    expect(synth.stacks.tagGuard?.account).toBe(MANAGEMENT_ACCOUNT_ID);
    expect(synth.stacks.tagGuard?.region).toBe('us-east-1');
    template.resourceCountIs('AWS::Organizations::Policy', 1);
    template.hasResourceProperties('AWS::Organizations::Policy', {
      Name: 'cordon-tag-guard',
      Type: 'SERVICE_CONTROL_POLICY',
      TargetIds: ['ou-ab12-11111111', 'ou-ab12-22222222'],
    });
  });

  it("denies creating, changing or deleting cordon:* tags (and the configured exemption tag) to anyone but the approvers and cordon's roles", () => {
    // Prepare: the policy as it is deployed in the aws partition
    const policy = Object.values(template.findResources('AWS::Organizations::Policy'))[0] as { Properties: { Content: unknown } };
    const exempt = [APPROVER, ...['cordon-responder', 'stacksets-exec-*', 'cdk-*-cfn-exec-role-*'].map((r) => `arn:aws:iam::*:role/${r}`)];
    const document = JSON.stringify(
      tagGuardPolicy(
        {
          managementAccountId: MANAGEMENT_ACCOUNT_ID,
          targetIds: [],
          approverRoleArns: [APPROVER],
          memberRoleName: 'cordon-responder',
          exemptTagKey: 'security:exempt',
        },
        'aws',
      ),
    );
    const workload = 'arn:aws:iam::123456789012:role/app-server';
    const cordon = 'arn:aws:iam::123456789012:role/cordon-responder';

    // Assess: the template holds that document (CloudFormation resolves the partition)
    expect(resolvePartition(policy.Properties.Content, 'aws')).toEqual(JSON.parse(document));
    expect(JSON.parse(document).Statement[0]).toEqual({
      Sid: 'CordonTagsOnlyByCordonAndApprovers',
      Effect: 'Deny',
      Action: [...TAG_ACTIONS],
      Resource: '*',
      Condition: {
        'ForAnyValue:StringLike': { 'aws:TagKeys': ['cordon:*', 'security:exempt'] },
        ArnNotLike: { 'aws:PrincipalArn': exempt },
      },
    });
    // …and what IAM makes of it: a workload tagging itself exempt, or removing cordon's evidence tags, is denied
    expect(
      denyingStatements(
        document,
        { 'aws:TagKeys': ['cordon:exempt'], 'aws:RequestTag/cordon:exempt': 'true', 'aws:PrincipalArn': workload },
        'ec2:CreateTags',
      ),
    ).toHaveLength(1);
    expect(
      denyingStatements(document, { 'aws:TagKeys': ['team', 'cordon:finding-id'], 'aws:PrincipalArn': workload }, 'ec2:DeleteTags'),
    ).toHaveLength(1);
    expect(
      denyingStatements(
        document,
        { 'aws:TagKeys': ['security:exempt'], 'aws:RequestTag/security:exempt': 'yes', 'aws:PrincipalArn': workload },
        'iam:TagRole',
      ),
    ).toHaveLength(2);
    // …while other tags, cordon's member role and the approvers are not
    expect(denyingStatements(document, { 'aws:TagKeys': ['team'], 'aws:PrincipalArn': workload }, 'ec2:CreateTags')).toEqual([]);
    expect(denyingStatements(document, { 'aws:TagKeys': ['cordon:finding-id'], 'aws:PrincipalArn': cordon }, 'ec2:CreateTags')).toEqual([]);
    expect(
      denyingStatements(
        document,
        { 'aws:TagKeys': ['cordon:exempt'], 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/security-approver' },
        's3:PutBucketTagging',
      ),
    ).toEqual([]);
  });

  it('is clean under cfn-lint', () => {
    const version = cfnLintVersion();
    if (!version) {
      console.warn(`cfn-lint is not installed: the tag guard template was NOT linted. Install it with: ${CFN_LINT_INSTALL}`);
      return;
    }
    // Prepare
    const file = path.join(synth.outdir, 'tag-guard.json');
    fs.writeFileSync(file, JSON.stringify(template.toJSON()));
    // Act
    const result = cfnLint([file], ['us-east-1']);
    // Assess
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });
});

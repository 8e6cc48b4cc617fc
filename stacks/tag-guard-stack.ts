import { Aws, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnPolicy } from 'aws-cdk-lib/aws-organizations';
import type { Construct } from 'constructs';
import type { TagGuardDeployment } from './config';

/** Name of the service control policy (also in docs/deploy.md). */
export const TAG_GUARD_POLICY_NAME = 'cordon-tag-guard';

/**
 * The tag calls of the resources cordon contains and exempts: EC2 (instances,
 * interfaces, groups, snapshots, AMIs…), IAM users and roles, S3 buckets
 * (PutBucketTagging, and TagResource/UntagResource for buckets with ABAC on),
 * Lambda functions, ECS tasks, RDS databases, EKS clusters, recovery points.
 */
export const TAG_ACTIONS = [
  'ec2:CreateTags',
  'ec2:DeleteTags',
  'iam:TagRole',
  'iam:UntagRole',
  'iam:TagUser',
  'iam:UntagUser',
  's3:PutBucketTagging',
  's3:DeleteBucketTagging',
  's3:TagResource',
  's3:UntagResource',
  'lambda:TagResource',
  'lambda:UntagResource',
  'ecs:TagResource',
  'ecs:UntagResource',
  'rds:AddTagsToResource',
  'rds:RemoveTagsFromResource',
  'eks:TagResource',
  'eks:UntagResource',
  'backup:TagResource',
  'backup:UntagResource',
] as const;

/**
 * Principals that tag with `cordon:*` keys as part of cordon itself: the
 * StackSet execution role (the member role's stack tags) and CDK's
 * CloudFormation execution roles (cordon's own stacks carry `cordon:managed`).
 */
const DEPLOYERS = ['role/stacksets-exec-*', 'role/cdk-*-cfn-exec-role-*'];

/** A statement of the policy (service control policies take IAM's policy grammar, Deny statements here). */
interface GuardStatement {
  readonly Sid: string;
  readonly Effect: 'Deny';
  readonly Action: readonly string[];
  readonly Resource: '*';
  readonly Condition: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/**
 * The service control policy (pure): outside the approver roles, cordon's
 * member role and the deployers, no principal in the target accounts may
 * create, change or delete a tag whose key starts with `cordon:` (so no
 * workload can exempt itself, nor wipe the finding tags cordon left as
 * evidence). `aws:TagKeys` holds the keys a tagging request names, for adding
 * and removing alike; `ForAnyValue:StringLike` matches when any of them is a
 * `cordon:` key (IAM User Guide, "Controlling access during AWS requests"). A
 * configured exemption tag outside `cordon:` is guarded the same way, by
 * `aws:RequestTag/<key>` too. The exempt principals are matched by
 * `aws:PrincipalArn` (the role, whatever the session), in every account of
 * the targets, in `partition` (the stack passes CloudFormation's own).
 */
export function tagGuardPolicy(guard: TagGuardDeployment, partition: string): { Version: '2012-10-17'; Statement: GuardStatement[] } {
  const exempt = [
    ...guard.approverRoleArns,
    ...[`role/${guard.memberRoleName}`, ...DEPLOYERS].map((role) => `arn:${partition}:iam::*:${role}`),
  ];
  const keys = ['cordon:*', ...(guard.exemptTagKey ? [guard.exemptTagKey] : [])];
  const statements: GuardStatement[] = [
    {
      Sid: 'CordonTagsOnlyByCordonAndApprovers',
      Effect: 'Deny',
      Action: [...TAG_ACTIONS],
      Resource: '*',
      Condition: { 'ForAnyValue:StringLike': { 'aws:TagKeys': keys }, ArnNotLike: { 'aws:PrincipalArn': exempt } },
    },
  ];
  if (guard.exemptTagKey)
    statements.push({
      Sid: 'ExemptTagOnlyByCordonAndApprovers',
      Effect: 'Deny',
      Action: [...TAG_ACTIONS],
      Resource: '*',
      Condition: { Null: { [`aws:RequestTag/${guard.exemptTagKey}`]: 'false' }, ArnNotLike: { 'aws:PrincipalArn': exempt } },
    });
  return { Version: '2012-10-17', Statement: statements };
}

/** The region CloudFormation manages AWS Organizations resources from: its partition's main region (Organizations' endpoint). */
export function organizationsRegion(homeRegion: string): string {
  if (homeRegion.startsWith('us-gov-')) return 'us-gov-west-1';
  if (homeRegion.startsWith('cn-')) return 'cn-northwest-1';
  return 'us-east-1';
}

/** Props of the tag guard stack. */
export interface TagGuardStackProps extends StackProps {
  readonly guard: TagGuardDeployment;
}

/**
 * The optional tag guard, in the management account (service control
 * policies are created there, in the organization's SCP policy type, which
 * must be enabled): one service control policy, attached to the deployment
 * targets, that keeps `cordon:*` tags for cordon and the approver roles.
 * Off by default (`cordon:tagGuard`); see docs/deploy.md.
 */
export class TagGuardStack extends Stack {
  public readonly policy: CfnPolicy;

  public constructor(scope: Construct, id: string, props: TagGuardStackProps) {
    super(scope, id, props);
    const { guard } = props;
    if (guard.targetIds.length === 0) throw new Error('TagGuardStack: the policy needs at least one target (root or OU id)');
    this.policy = new CfnPolicy(this, 'Policy', {
      name: TAG_GUARD_POLICY_NAME,
      type: 'SERVICE_CONTROL_POLICY',
      description: 'cordon: only cordon and the approver roles may create, change or delete cordon:* tags (no workload exempts itself)',
      // A JSON object, not text: CloudFormation can then detect drift (AWS::Organizations::Policy, Content).
      content: tagGuardPolicy(guard, Aws.PARTITION),
      targetIds: [...guard.targetIds],
    });
  }
}

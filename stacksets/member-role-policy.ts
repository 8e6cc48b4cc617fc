import { memberPermissions } from '../src/actions/registry';
import { EXEMPTION_PERMISSIONS } from '../src/respond/exemptions';

/**
 * The member role's permissions: exactly what the actions (their runs and
 * their undos) and the exemption check call, as the code declares it, each
 * scoped as narrowly as IAM allows. The list of IAM actions is derived from
 * the code; only the scoping below is written by hand, one reviewed entry per
 * IAM action.
 *
 * ARNs are `Fn::Sub` strings: `${AWS::Partition}` and `${AWS::AccountId}`
 * resolve in each member account, and `*` stands for every region, since a
 * finding may come from any region the organization uses.
 */

/** One resource scope of an IAM action: where it applies and under which conditions. */
export interface PermissionScope {
  /** Resource ARN patterns (`Fn::Sub` syntax), or `*` when the action supports no resource-level permission. */
  readonly resources: readonly string[];
  /** IAM condition block, if any. */
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** A reviewed scoping: one or more scopes (an action touching two resource types may need different conditions on each). */
export interface ScopeEntry {
  readonly scopes: readonly PermissionScope[];
  /** Why this scope (and not narrower). */
  readonly why: string;
}

const ec2 = (resource: string): string => `arn:\${AWS::Partition}:ec2:*:\${AWS::AccountId}:${resource}`;
const iam = (resource: string): string => `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:${resource}`;
/** EC2 snapshot ARNs carry no account id. */
const SNAPSHOTS = 'arn:${AWS::Partition}:ec2:*::snapshot/*';
/** Neither do AMI ARNs. */
const IMAGES = 'arn:${AWS::Partition}:ec2:*::image/*';
const lambda = (resource: string): string => `arn:\${AWS::Partition}:lambda:*:\${AWS::AccountId}:${resource}`;
const ecs = (resource: string): string => `arn:\${AWS::Partition}:ecs:*:\${AWS::AccountId}:${resource}`;
const rds = (resource: string): string => `arn:\${AWS::Partition}:rds:*:\${AWS::AccountId}:${resource}`;
/** Every RDS resource of the account: databases, clusters, their snapshots, and the groups ModifyDB* authorizes with them. */
const ACCOUNT_RDS: PermissionScope = { resources: [rds('*')] };
/** Every EKS resource of the account (clusters, Pod Identity associations): reads only. */
const ACCOUNT_EKS: PermissionScope = { resources: ['arn:${AWS::Partition}:eks:*:${AWS::AccountId}:*'] };
/** Every Lambda function and event source mapping of the account. */
const ACCOUNT_LAMBDA: PermissionScope = { resources: [lambda('*')] };
/** Snapshots and AMIs (their ARNs carry no account; only the owner may change their sharing). */
const SNAPSHOTS_AND_IMAGES: PermissionScope = { resources: [SNAPSHOTS, IMAGES] };
/** Only cordon's own tag keys (the finding id, type and time). */
const CORDON_TAG_KEYS = { 'ForAllValues:StringLike': { 'aws:TagKeys': ['cordon:*'] } };
/** The AWS managed policy iam.deny-user attaches (src/actions/iam/deny-user.ts), in the member account's partition. */
const AWS_DENY_ALL = 'arn:${AWS::Partition}:iam::aws:policy/AWSDenyAll';
const ANY = ['*'] as const;
const NO_RESOURCE_LEVEL = 'the API supports no resource-level permission (List/Describe calls)';

/** The tag cordon puts on the security groups it creates (src/actions/ec2/quarantine-groups.ts). */
export const MANAGED_GROUP_TAG = { key: 'cordon:managed', value: 'true' } as const;

const managedGroup: PermissionScope = {
  resources: [ec2('security-group/*')],
  conditions: { StringEquals: { [`aws:ResourceTag/${MANAGED_GROUP_TAG.key}`]: MANAGED_GROUP_TAG.value } },
};
const sameAccountBuckets: PermissionScope = {
  resources: ['arn:${AWS::Partition}:s3:::*'],
  conditions: { StringEquals: { 'aws:ResourceAccount': '${AWS::AccountId}' } },
};

/**
 * The reviewed scope of every IAM action the member role may be granted. An
 * action the code starts to use that is missing here is still granted (on
 * `*`, in a statement named `Unreviewed`, so that deployments keep working)
 * and the CDK tests fail until it is reviewed here.
 */
export const MEMBER_SCOPES: Readonly<Record<string, ScopeEntry>> = {
  'ec2:DescribeInstances': { scopes: [{ resources: ANY }], why: NO_RESOURCE_LEVEL },
  'ec2:DescribeInstanceAttribute': { scopes: [{ resources: ANY }], why: 'read-only; kept with the other Describe calls' },
  'ec2:DescribeNetworkInterfaces': { scopes: [{ resources: ANY }], why: NO_RESOURCE_LEVEL },
  'ec2:DescribeSecurityGroups': { scopes: [{ resources: ANY }], why: NO_RESOURCE_LEVEL },
  'ec2:DescribeSnapshots': { scopes: [{ resources: ANY }], why: NO_RESOURCE_LEVEL },
  'ec2:DescribeNetworkAcls': { scopes: [{ resources: ANY }], why: NO_RESOURCE_LEVEL },
  'ec2:DescribeIamInstanceProfileAssociations': { scopes: [{ resources: ANY }], why: NO_RESOURCE_LEVEL },
  'ec2:DescribeNatGateways': { scopes: [{ resources: ANY }], why: NO_RESOURCE_LEVEL },
  'ec2:DescribeVpcEndpoints': { scopes: [{ resources: ANY }], why: NO_RESOURCE_LEVEL },
  'ec2:DescribeTransitGatewayVpcAttachments': { scopes: [{ resources: ANY }], why: NO_RESOURCE_LEVEL },
  'elasticloadbalancing:DescribeLoadBalancers': { scopes: [{ resources: ANY }], why: NO_RESOURCE_LEVEL },
  'ec2:StopInstances': {
    scopes: [{ resources: [ec2('instance/*')] }],
    why: 'ec2.stop, for runbooks that name it; any instance of the account',
  },
  'ec2:StartInstances': {
    scopes: [{ resources: [ec2('instance/*')] }],
    why: 'release starts an instance cordon stopped; any instance of the account',
  },
  'ec2:CreateSecurityGroup': {
    scopes: [
      { resources: [ec2('vpc/*')] },
      {
        resources: [ec2('security-group/*')],
        conditions: { StringEquals: { [`aws:RequestTag/${MANAGED_GROUP_TAG.key}`]: MANAGED_GROUP_TAG.value } },
      },
    ],
    why: 'only groups tagged cordon:managed=true at creation (the quarantine and untrack groups), in any VPC of the account',
  },
  'ec2:AuthorizeSecurityGroupIngress': { scopes: [managedGroup], why: "only cordon's own groups (tag cordon:managed=true)" },
  'ec2:AuthorizeSecurityGroupEgress': {
    scopes: [managedGroup],
    why: "only cordon's own groups (tag cordon:managed=true): the allow-all group's IPv6 outbound rule",
  },
  'ec2:RevokeSecurityGroupIngress': { scopes: [managedGroup], why: "only cordon's own groups (tag cordon:managed=true)" },
  'ec2:RevokeSecurityGroupEgress': { scopes: [managedGroup], why: "only cordon's own groups (tag cordon:managed=true)" },
  'ec2:CreateTags': {
    scopes: [
      { resources: [ec2('instance/*')], conditions: { 'ForAllValues:StringLike': { 'aws:TagKeys': ['cordon:*'] } } },
      // Groups and snapshots are tagged only as cordon creates them: an existing
      // group tagged cordon:managed would otherwise become one cordon may open.
      {
        resources: [ec2('security-group/*'), SNAPSHOTS],
        conditions: { StringEquals: { 'ec2:CreateAction': ['CreateSecurityGroup', 'CreateSnapshot'] } },
      },
      // A malicious snapshot or AMI is tagged with the finding (cordon:* keys only): neither key opens anything to cordon.
      { resources: [SNAPSHOTS, IMAGES], conditions: CORDON_TAG_KEYS },
    ],
    why: 'only cordon:* tag keys on existing instances, malicious snapshots and AMIs; security groups and snapshots only when cordon creates them',
  },
  'ec2:ModifyNetworkInterfaceAttribute': {
    scopes: [{ resources: [ec2('network-interface/*'), ec2('security-group/*')] }],
    why: 'any interface of the account may need isolating, and release restores its original (any) groups',
  },
  'ec2:ModifyInstanceAttribute': {
    scopes: [{ resources: [ec2('instance/*')] }],
    why: 'termination and stop protection, shutdown behaviour and DeleteOnTermination of the volumes of any instance of the account',
  },
  'ec2:CreateSnapshot': {
    scopes: [
      { resources: [ec2('volume/*')] },
      { resources: [SNAPSHOTS], conditions: { Null: { 'aws:RequestTag/cordon:finding-id': 'false' } } },
    ],
    why: 'any volume of the account; only snapshots tagged with the finding id at creation',
  },
  'ec2:CreateNetworkAclEntry': {
    scopes: [{ resources: [ec2('network-acl/*')] }],
    why: 'any network ACL of the account may hold the subnet of an attacked instance',
  },
  'ec2:DeleteNetworkAclEntry': {
    scopes: [{ resources: [ec2('network-acl/*')] }],
    why: 'release removes the entries cordon added, in any network ACL of the account',
  },
  'ec2:DisassociateIamInstanceProfile': { scopes: [{ resources: [ec2('instance/*')] }], why: 'any instance of the account' },
  'autoscaling:DescribeAutoScalingInstances': { scopes: [{ resources: ANY }], why: NO_RESOURCE_LEVEL },
  'autoscaling:DetachInstances': {
    scopes: [{ resources: ['arn:${AWS::Partition}:autoscaling:*:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/*'] }],
    why: 'any Auto Scaling group of the account',
  },
  'elasticloadbalancing:DescribeTargetGroups': { scopes: [{ resources: ANY }], why: NO_RESOURCE_LEVEL },
  'elasticloadbalancing:DescribeTargetHealth': { scopes: [{ resources: ANY }], why: NO_RESOURCE_LEVEL },
  'elasticloadbalancing:DeregisterTargets': {
    scopes: [{ resources: ['arn:${AWS::Partition}:elasticloadbalancing:*:${AWS::AccountId}:targetgroup/*/*'] }],
    why: 'any target group of the account',
  },
  'iam:ListAccessKeys': { scopes: [{ resources: [iam('user/*')] }], why: 'users of the account' },
  'iam:UpdateAccessKey': { scopes: [{ resources: [iam('user/*')] }], why: 'users of the account' },
  'iam:ListAttachedUserPolicies': { scopes: [{ resources: [iam('user/*')] }], why: 'users of the account' },
  'iam:AttachUserPolicy': {
    scopes: [{ resources: [iam('user/*')], conditions: { ArnEquals: { 'iam:PolicyARN': AWS_DENY_ALL } } }],
    why: 'only the AWS managed AWSDenyAll policy (iam:PolicyARN), on users of the account',
  },
  'iam:DetachUserPolicy': {
    scopes: [{ resources: [iam('user/*')], conditions: { ArnEquals: { 'iam:PolicyARN': AWS_DENY_ALL } } }],
    why: 'release detaches AWSDenyAll, and only it (iam:PolicyARN); users of the account',
  },
  'iam:ListUserTags': { scopes: [{ resources: [iam('user/*')] }], why: 'exemption check; users of the account' },
  'iam:GetRolePolicy': { scopes: [{ resources: [iam('role/*')] }], why: 'roles of the account; never its own role (denied)' },
  'iam:ListRolePolicies': {
    scopes: [{ resources: [iam('role/*')] }],
    why: "sizing a role's inline policies against IAM's 10,240-character quota before a revocation; roles of the account",
  },
  'iam:GetRole': {
    scopes: [{ resources: [iam('role/*')] }],
    why: "a role's unique id (aws:userid of its instance sessions); roles of the account",
  },
  'iam:PutRolePolicy': {
    scopes: [{ resources: [iam('role/*')] }],
    why: "only cordon's revocation policy is written, but IAM has no condition key naming an inline policy: roles of the account, never its own role nor cordon's other roles nor the StackSet execution role (denied); see docs/deploy.md",
  },
  'iam:DeleteRolePolicy': {
    scopes: [{ resources: [iam('role/*')] }],
    why: "release removes cordon's revocation policy; never its own role (denied)",
  },
  'iam:ListRoleTags': { scopes: [{ resources: [iam('role/*')] }], why: 'exemption check; roles of the account' },
  'iam:GetInstanceProfile': { scopes: [{ resources: [iam('instance-profile/*')] }], why: 'instance profiles of the account' },
  's3:GetBucketPublicAccessBlock': {
    scopes: [sameAccountBuckets],
    why: 'buckets owned by the account (aws:ResourceAccount; S3 ARNs carry no account)',
  },
  's3:PutBucketPublicAccessBlock': {
    scopes: [sameAccountBuckets],
    why: 'buckets owned by the account (aws:ResourceAccount; S3 ARNs carry no account)',
  },
  's3:GetBucketTagging': { scopes: [sameAccountBuckets], why: 'exemption check; buckets owned by the account' },
  's3:GetBucketPolicy': {
    scopes: [sameAccountBuckets],
    why: 's3.deny-object-read reads the policy it adds its statement to; buckets owned by the account',
  },
  's3:PutBucketPolicy': {
    scopes: [sameAccountBuckets],
    why: "s3.deny-object-read adds a Deny statement beside the bucket's others (release removes it); buckets owned by the account",
  },
  's3:DeleteBucketPolicy': {
    scopes: [sameAccountBuckets],
    why: "release deletes a policy cordon created, once cordon's statement was its only one; buckets owned by the account",
  },
  'ec2:DescribeTags': { scopes: [{ resources: ANY }], why: NO_RESOURCE_LEVEL },
  'ec2:DescribeSnapshotAttribute': {
    scopes: [SNAPSHOTS_AND_IMAGES],
    why: 'who may create volumes from a malicious snapshot (EC2 snapshot ARNs carry no account)',
  },
  'ec2:ModifySnapshotAttribute': {
    scopes: [SNAPSHOTS_AND_IMAGES],
    why: "removing (and release: restoring) a malicious snapshot's sharing; only the owner can, so only the account's",
  },
  'ec2:DescribeImageAttribute': { scopes: [SNAPSHOTS_AND_IMAGES], why: 'who may launch a malicious AMI (AMI ARNs carry no account)' },
  'ec2:ModifyImageAttribute': {
    scopes: [SNAPSHOTS_AND_IMAGES],
    why: "removing (and release: restoring) a malicious AMI's launch permissions; only the owner can, so only the account's",
  },
  'lambda:GetFunctionConcurrency': { scopes: [ACCOUNT_LAMBDA], why: 'functions of the account' },
  'lambda:PutFunctionConcurrency': {
    scopes: [ACCOUNT_LAMBDA],
    why: 'lambda.throttle sets reserved concurrency 0 (release restores it); functions of the account',
  },
  'lambda:DeleteFunctionConcurrency': {
    scopes: [ACCOUNT_LAMBDA],
    why: 'release removes the reserved concurrency of a function that had none; functions of the account',
  },
  'lambda:GetFunctionConfiguration': {
    scopes: [ACCOUNT_LAMBDA],
    why: "a function's execution role; functions of the account",
  },
  'lambda:ListAliases': {
    scopes: [ACCOUNT_LAMBDA],
    why: "a function's aliases (their event source mappings); functions of the account",
  },
  'lambda:ListEventSourceMappings': { scopes: [{ resources: ANY }], why: NO_RESOURCE_LEVEL },
  'lambda:GetEventSourceMapping': { scopes: [ACCOUNT_LAMBDA], why: 'mappings of the account' },
  'lambda:UpdateEventSourceMapping': {
    scopes: [ACCOUNT_LAMBDA],
    why: 'disabling (release: enabling) the mappings of a compromised function; mappings of the account',
  },
  'lambda:ListTags': {
    scopes: [ACCOUNT_LAMBDA],
    why: 'exemption check and evidence tags; functions of the account',
  },
  'lambda:TagResource': {
    scopes: [{ ...ACCOUNT_LAMBDA, conditions: CORDON_TAG_KEYS }],
    why: 'only cordon:* tag keys; functions of the account',
  },
  'ecs:DescribeTasks': { scopes: [{ resources: [ecs('task/*')] }], why: 'tasks of the account' },
  'ecs:DescribeTaskDefinition': { scopes: [{ resources: ANY }], why: NO_RESOURCE_LEVEL },
  'ecs:StopTask': {
    scopes: [{ resources: [ecs('task/*')] }],
    why: 'ecs.isolate-task stops a task whose interface cannot be isolated (Fargate); tasks of the account',
  },
  'ecs:ListTagsForResource': { scopes: [{ resources: [ecs('task/*')] }], why: 'exemption check and evidence tags; tasks of the account' },
  'ecs:TagResource': {
    scopes: [{ resources: [ecs('task/*')], conditions: CORDON_TAG_KEYS }],
    why: 'only cordon:* tag keys; tasks of the account',
  },
  'rds:DescribeDBInstances': {
    scopes: [ACCOUNT_RDS],
    why: "a database's subnets, security groups and Aurora cluster; databases of the account",
  },
  'rds:DescribeDBClusters': {
    scopes: [ACCOUNT_RDS],
    why: "an Aurora cluster's security groups; clusters of the account",
  },
  'rds:DescribeDBSnapshots': {
    scopes: [ACCOUNT_RDS],
    why: "whether the finding's snapshot exists; the account's",
  },
  'rds:DescribeDBClusterSnapshots': {
    scopes: [ACCOUNT_RDS],
    why: "whether the finding's cluster snapshot exists; the account's",
  },
  'rds:CreateDBSnapshot': {
    scopes: [ACCOUNT_RDS],
    why: 'a manual snapshot of a database of the account',
  },
  'rds:CreateDBClusterSnapshot': {
    scopes: [ACCOUNT_RDS],
    why: 'a manual snapshot of an Aurora cluster of the account',
  },
  'rds:AddTagsToResource': {
    scopes: [{ resources: [rds('snapshot:*'), rds('cluster-snapshot:*')], conditions: CORDON_TAG_KEYS }],
    why: "the finding's tags on the snapshots cordon takes (only cordon:* keys)",
  },
  'rds:ListTagsForResource': { scopes: [ACCOUNT_RDS], why: 'exemption check; databases of the account' },
  'rds:ModifyDBInstance': {
    scopes: [ACCOUNT_RDS],
    why: 'rds.isolate (custom action only) replaces the security groups of a database of the account; release restores them',
  },
  'rds:ModifyDBCluster': {
    scopes: [ACCOUNT_RDS],
    why: "rds.isolate (custom action only) replaces an Aurora cluster's security groups; release restores them",
  },
  'eks:ListTagsForResource': {
    scopes: [ACCOUNT_EKS],
    why: 'clusters of the account',
  },
  'eks:ListPodIdentityAssociations': {
    scopes: [ACCOUNT_EKS],
    why: "eks.revoke-pod-role finds the Pod Identity association of the pod's service account; the account's EKS resources",
  },
  'eks:DescribePodIdentityAssociation': {
    scopes: [ACCOUNT_EKS],
    why: "eks.revoke-pod-role reads the association's role; the account's EKS resources",
  },
  'eks:TagResource': {
    scopes: [{ resources: ['arn:${AWS::Partition}:eks:*:${AWS::AccountId}:cluster/*'], conditions: CORDON_TAG_KEYS }],
    why: 'only cordon:* tag keys; clusters of the account',
  },
  'backup:ListTags': {
    scopes: [{ resources: ['arn:${AWS::Partition}:backup:*:${AWS::AccountId}:recovery-point:*'] }],
    why: 'recovery points of the account',
  },
  'backup:TagResource': {
    scopes: [{ resources: ['arn:${AWS::Partition}:backup:*:${AWS::AccountId}:recovery-point:*'], conditions: CORDON_TAG_KEYS }],
    why: 'only cordon:* tag keys; recovery points of the account',
  },
  's3:ListAllMyBuckets': {
    scopes: [{ resources: ANY }],
    why: "which of a finding's buckets the account owns (ListBuckets lists only its own); no resource-level permission",
  },
};

/** Every IAM action the member role grants: the actions' declared permissions (runs and undos) and the exemption check's. */
export function grantedMemberActions(): string[] {
  return [...new Set([...memberPermissions(), ...EXEMPTION_PERMISSIONS])].sort();
}

/** An IAM policy statement as the template holds it (before `Fn::Sub` is applied to ARNs). */
export interface MemberStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: PermissionScope['conditions'];
}

/**
 * The Allow statements: actions that share a scope share a statement. Actions
 * without a reviewed scope go to a statement `Unreviewed` on `*`.
 */
export function memberAllowStatements(actions: readonly string[] = grantedMemberActions()): MemberStatement[] {
  const byScope = new Map<string, { scope: PermissionScope; actions: string[] }>();
  const unreviewed: string[] = [];
  for (const action of actions) {
    const entry = MEMBER_SCOPES[action];
    if (!entry) {
      unreviewed.push(action);
      continue;
    }
    for (const scope of entry.scopes) {
      const key = JSON.stringify([scope.resources, scope.conditions ?? null]);
      const group = byScope.get(key) ?? { scope, actions: [] };
      group.actions.push(action);
      byScope.set(key, group);
    }
  }
  const statements: MemberStatement[] = [...byScope.values()].map(({ scope, actions: acts }) => ({
    Sid: sidFor(acts, scope),
    Effect: 'Allow',
    Action: [...acts].sort(),
    Resource: [...scope.resources],
    ...(scope.conditions ? { Condition: scope.conditions } : {}),
  }));
  statements.sort((a, b) => a.Sid.localeCompare(b.Sid));
  dedupeSids(statements);
  if (unreviewed.length > 0) statements.push({ Sid: 'Unreviewed', Effect: 'Allow', Action: unreviewed, Resource: ['*'] });
  return statements;
}

/** Template references (`Fn::Sub` variables, e.g. `${RoleName}`) of the roles the member role must never change. */
export interface ProtectedRoleRefs {
  /** The member role's own name. */
  readonly roleName: string;
  /** The responder Lambda's role ARN (in the security account, where the member role is also deployed). */
  readonly responderRoleArn: string;
  /** Name of the role the enabler assumes in the security account. */
  readonly enablerRoleName: string;
  /** Name of the enabler Lambda's role in the management account (where the member role may be deployed by hand). */
  readonly enablerFunctionRoleName: string;
}

/**
 * ARNs the role may never change: itself, the StackSet execution role that
 * manages it, and cordon's own roles where they live in the same account:
 * the responder's (it would otherwise rewrite the principal that assumes it),
 * the enabler's role in the security account and the enabler Lambda's role in
 * the management account. In other accounts those ARNs match nothing.
 */
export function protectedRoleArns(refs: ProtectedRoleRefs): string[] {
  const role = (name: string): string => `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${name}`;
  return [
    role(refs.roleName),
    role('stacksets-exec-*'),
    refs.responderRoleArn,
    role(refs.enablerRoleName),
    role(refs.enablerFunctionRoleName),
  ];
}

function sidFor(actions: readonly string[], scope: PermissionScope): string {
  const services = [...new Set(actions.map((a) => a.split(':')[0] ?? ''))];
  const svc = services.map((s) => s.replace(/(^|[^a-z])([a-z])/g, (_m, _p: string, c: string) => c.toUpperCase())).join('');
  const kind = scope.resources.includes('*') ? 'Read' : scope.conditions ? 'Scoped' : 'Account';
  const what = scope.resources.includes('*')
    ? ''
    : ((scope.resources[0] ?? '')
        .split(':')
        .pop()
        ?.split('/')[0]
        ?.replace(/[^A-Za-z0-9]/g, '') ?? '');
  return `${svc}${kind}${what.charAt(0).toUpperCase()}${what.slice(1)}`;
}

function dedupeSids(statements: MemberStatement[]): void {
  const seen = new Map<string, number>();
  statements.forEach((s, i) => {
    const n = (seen.get(s.Sid) ?? 0) + 1;
    seen.set(s.Sid, n);
    if (n > 1) statements[i] = { ...s, Sid: `${s.Sid}${n}` };
  });
}

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  App,
  Aws,
  CfnCondition,
  CfnOutput,
  CfnParameter,
  DefaultStackSynthesizer,
  Fn,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { MEMBER_ROLE_STACK_SET_NAME } from '../src/config/defaults';
import { DEFAULT_ROLE_NAMES } from './role-names';
import { MEMBER_SCOPES, memberAllowStatements, protectedRoleArns, type MemberStatement } from './member-role-policy';

/** Name of the member role stack (and of the StackSet that deploys it). */
export const MEMBER_ROLE_STACK_NAME = MEMBER_ROLE_STACK_SET_NAME;

/** The template's parameters: every difference between environments. */
export const MEMBER_ROLE_PARAMETERS = {
  roleName: 'RoleName',
  responderRoleArn: 'ResponderRoleArn',
  organizationId: 'OrganizationId',
  externalId: 'ExternalId',
  enablerRoleName: 'EnablerRoleName',
  enablerFunctionRoleName: 'EnablerFunctionRoleName',
  operatorRoleArns: 'OperatorRoleArns',
} as const;

/**
 * The role cordon assumes in every member account, as a stack with no
 * environment: the StackSet deploys it in one region of each account (IAM is
 * global). Its trust allows only the responder's role, from inside the
 * organization, with the external id when one is set; its permissions are
 * those the code declares (see member-role-policy.ts), and it can change
 * neither itself, nor the StackSet execution role that manages it, nor
 * cordon's other roles (the responder's and the enabler's).
 */
export class MemberRoleStack extends Stack {
  public constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      ...props,
      description: 'cordon member role: lets the cordon responder in the security account contain resources in this account',
      // A StackSet template must not need a CDK bootstrap in member accounts.
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
      analyticsReporting: false,
    });

    const roleName = new CfnParameter(this, MEMBER_ROLE_PARAMETERS.roleName, {
      type: 'String',
      default: DEFAULT_ROLE_NAMES.member,
      allowedPattern: '^[\\w+=,.@-]{1,64}$',
      description: 'Name of the member role (CORDON_ROLE_NAME of the responder)',
    });
    const responderRoleArn = new CfnParameter(this, MEMBER_ROLE_PARAMETERS.responderRoleArn, {
      type: 'String',
      allowedPattern: '^arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@-]{1,64}$',
      description: "ARN of the responder Lambda's role in the security account: the only principal trusted",
    });
    const organizationId = new CfnParameter(this, MEMBER_ROLE_PARAMETERS.organizationId, {
      type: 'String',
      allowedPattern: '^o-[a-z0-9]{10,32}$',
      description: 'Organization id: the responder must belong to it (aws:PrincipalOrgID)',
    });
    const externalId = new CfnParameter(this, MEMBER_ROLE_PARAMETERS.externalId, {
      type: 'String',
      default: '',
      allowedPattern: '^$|^[\\w+=,.@:/-]{2,1224}$',
      description: 'External id the responder must present (empty: none)',
    });
    const roleNamePattern = '^[\\w+=,.@-]{1,64}$';
    new CfnParameter(this, MEMBER_ROLE_PARAMETERS.enablerRoleName, {
      type: 'String',
      default: DEFAULT_ROLE_NAMES.enablerAdmin,
      allowedPattern: roleNamePattern,
      description: "Name of the enabler's role in the security account: the member role may never change it",
    });
    new CfnParameter(this, MEMBER_ROLE_PARAMETERS.enablerFunctionRoleName, {
      type: 'String',
      default: DEFAULT_ROLE_NAMES.enablerFunction,
      allowedPattern: roleNamePattern,
      description: "Name of the enabler Lambda's role in the management account: the member role may never change it",
    });
    const operatorRoleArns = new CfnParameter(this, MEMBER_ROLE_PARAMETERS.operatorRoleArns, {
      type: 'CommaDelimitedList',
      default: '',
      description: "ARNs of the security account's operator roles (npx cordon release…), trusted beside the responder (empty: none)",
    });
    const operatorList = Fn.join(',', operatorRoleArns.valueAsList);
    const hasOperators = new CfnCondition(this, 'HasOperators', { expression: Fn.conditionNot(Fn.conditionEquals(operatorList, '')) });
    const hasExternalId = new CfnCondition(this, 'HasExternalId', {
      expression: Fn.conditionNot(Fn.conditionEquals(externalId.valueAsString, '')),
    });

    // The account root is the principal and aws:PrincipalArn names the role:
    // unlike a role ARN as principal, this neither requires the responder role
    // to exist when member stacks are created nor silently breaks (turning
    // into a stale unique id) if the responder stack is removed and deployed again.
    const securityAccount = Fn.select(4, Fn.split(':', responderRoleArn.valueAsString));
    // The same trust for the responder and for the operators' roles: the organization, and the external id when set.
    const trusting = (sid: string, principalArns: unknown): Record<string, unknown> => {
      const conditions = {
        ArnEquals: { 'aws:PrincipalArn': principalArns },
        StringEquals: { 'aws:PrincipalOrgID': organizationId.valueAsString },
      };
      return {
        Sid: sid,
        Effect: 'Allow',
        Principal: { AWS: Fn.sub('arn:${AWS::Partition}:iam::${Account}:root', { Account: securityAccount }) },
        Action: 'sts:AssumeRole',
        Condition: Fn.conditionIf(
          hasExternalId.logicalId,
          { ...conditions, StringEquals: { ...conditions.StringEquals, 'sts:ExternalId': externalId.valueAsString } },
          conditions,
        ),
      };
    };
    const trust = {
      Version: '2012-10-17',
      Statement: [
        trusting('CordonResponderOnly', responderRoleArn.valueAsString),
        // Operators act through roles of the security account named in the deployment (operatorRoleArns).
        Fn.conditionIf(hasOperators.logicalId, trusting('CordonOperators', operatorRoleArns.valueAsList), Aws.NO_VALUE),
      ],
    };

    const allow = memberAllowStatements();
    const statements: Array<Record<string, unknown>> = [
      ...allow.map(render),
      render({
        Sid: 'NeverChangeItselfOrItsManager',
        Effect: 'Deny',
        Action: ['iam:*'],
        Resource: protectedRoleArns({
          roleName: `\${${MEMBER_ROLE_PARAMETERS.roleName}}`,
          responderRoleArn: `\${${MEMBER_ROLE_PARAMETERS.responderRoleArn}}`,
          enablerRoleName: `\${${MEMBER_ROLE_PARAMETERS.enablerRoleName}}`,
          enablerFunctionRoleName: `\${${MEMBER_ROLE_PARAMETERS.enablerFunctionRoleName}}`,
        }),
      }),
    ];
    const role = new CfnRole(this, 'MemberRole', {
      roleName: roleName.valueAsString,
      description: 'cordon: contains resources named in GuardDuty findings (assumed by the responder in the security account)',
      assumeRolePolicyDocument: trust,
      maxSessionDuration: 3600,
      policies: [{ policyName: 'cordon-containment', policyDocument: { Version: '2012-10-17', Statement: statements } }],
      tags: [{ key: 'cordon:managed', value: 'true' }],
    });
    new CfnOutput(this, 'RoleArn', { value: role.attrArn, description: 'The member role cordon assumes' });
    acknowledgeWildcards(role, allow);
  }
}

/** Renders a statement's ARNs as `Fn::Sub` (they hold `${AWS::Partition}`, `${AWS::AccountId}` or `${RoleName}`). */
function render(s: MemberStatement): Record<string, unknown> {
  const resources = s.Resource.map((r) => (r.includes('${') ? Fn.sub(r) : r));
  return {
    Sid: s.Sid,
    Effect: s.Effect,
    Action: [...s.Action],
    Resource: resources,
    ...(s.Condition ? { Condition: substituteConditions(s.Condition) } : {}),
  };
}

function substituteConditions(conditions: NonNullable<MemberStatement['Condition']>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [op, entries] of Object.entries(conditions)) {
    out[op] = Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, typeof v === 'string' && v.includes('${') ? Fn.sub(v) : v]));
  }
  return out;
}

/**
 * The member role template as CloudFormation JSON: what the StackSet deploys,
 * and what `npx tsx stacksets/print-template.ts` prints for deploying it by
 * other means (e.g. to the management account, which a service-managed
 * StackSet never reaches). Synthesized in an App of its own, in a temporary
 * directory, so that it never touches the main app's cloud assembly.
 */
export function memberRoleTemplate(): Record<string, unknown> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-member-role-'));
  try {
    // postCliContext: the CDK CLI's own context (path metadata on) must not reach this template.
    const app = new App({
      outdir,
      analyticsReporting: false,
      builtinCloudFormationValidation: false,
      postCliContext: { 'aws:cdk:enable-path-metadata': false },
    });
    new MemberRoleStack(app, MEMBER_ROLE_STACK_NAME);
    return app.synth().getStackByName(MEMBER_ROLE_STACK_NAME).template as Record<string, unknown>;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 once per wildcard resource of the
 * Allow statements, with the reviewed reasons of the IAM actions that use it
 * (MEMBER_SCOPES): the reasons live next to the scopes they justify.
 */
function acknowledgeWildcards(role: CfnRole, statements: readonly MemberStatement[]): void {
  const users = new Map<string, Set<string>>();
  for (const s of statements) {
    if (s.Effect !== 'Allow') continue;
    for (const r of s.Resource) if (r.includes('*')) for (const a of s.Action) users.set(r, (users.get(r) ?? new Set()).add(a));
  }
  for (const [resource, actions] of users) {
    const whys = [...new Set([...actions].map((a) => MEMBER_SCOPES[a]?.why ?? 'not yet reviewed (see member-role-policy.ts)'))];
    const kind =
      resource === '*'
        ? 'No resource-level permission exists for these calls'
        : 'A resource type within this account: cordon acts on whichever resource a finding names, unknown in advance';
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${resource.replace(/\$\{([^}]+)\}/g, '<$1>')}]`,
      reason: `${kind}. ${[...actions].sort().join(', ')}: ${whys.join('; ')}.`,
    });
  }
}

import * as path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ACTIONS } from '../../src/actions/registry';
import type { ActionDefinition } from '../../src/actions/types';
import { GUARDDUTY_LIST_ROLE_PERMISSIONS } from '../../src/intel/guardduty-sets';
import { EXEMPTION_PERMISSIONS } from '../../src/respond/exemptions';
import { grantedMemberActions, MEMBER_SCOPES } from '../../stacksets/member-role-policy';
import { memberRoleTemplate } from '../../stacksets/member-role';
import { allowedActions, isGranted, type TemplateStatement } from './support/iam';
import { reachableFiles, scanFile, type SdkCall } from './support/sdk-calls';
import { cleanUp, REPO_ROOT, synthCordon, type Synthesized } from './support/synth';

/**
 * The member role and the responder's role against the code: the AWS calls
 * are read from the source (support/sdk-calls.ts), the permissions from the
 * synthesized templates. Nothing here lists IAM actions by hand.
 */

/** Services cordon calls through the member role; every other service is called as the security account. */
const MEMBER_SERVICES = new Set([
  'ec2',
  'iam',
  's3',
  'autoscaling',
  'elasticloadbalancing',
  'route53resolver',
  'lambda',
  'ecs',
  'rds',
  'eks',
  'backup',
]);
const HOME_SERVICES = new Set(['sts', 'guardduty', 'securityhub', 'dynamodb', 'organizations', 'events']);
/** src/intel/ runs as the security account whatever the service: its bucket, its GuardDuty administrator. */
const HOME_DIR = 'src/intel/';

/**
 * Calls no policy can deny, so none grants them: "No permissions are required to
 * perform this operation" (STS API Reference, GetCallerIdentity).
 */
const NEEDS_NO_PERMISSION = new Set(['sts:GetCallerIdentity']);

const serviceOf = (action: string): string => action.split(':')[0] ?? '';
/** A call made as the security account. */
const isHomeCall = (c: SdkCall): boolean => HOME_SERVICES.has(serviceOf(c.iamAction)) || c.file.startsWith(HOME_DIR);

const REGISTRY = path.join(REPO_ROOT, 'src/actions/registry.ts');
const HANDLER = path.join(REPO_ROOT, 'src/handlers/responder.ts');

function memberStatements(): TemplateStatement[] {
  const template = memberRoleTemplate() as {
    Resources: Record<string, { Type: string; Properties: { Policies: Array<{ PolicyDocument: { Statement: TemplateStatement[] } }> } }>;
  };
  const role = Object.values(template.Resources).find((r) => r.Type === 'AWS::IAM::Role');
  if (!role) throw new Error('the member role template holds no AWS::IAM::Role');
  return role.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement);
}

/** The file each registered action is defined in, from the registry's own imports. */
async function actionFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const file of reachableFiles(REGISTRY)) {
    if (!file.startsWith(path.join(REPO_ROOT, 'src/actions/')) || file === REGISTRY) continue;
    const mod = (await import(file)) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      const action = [...ACTIONS.values()].find((a) => a === value);
      if (action) files.set(action.name, file);
    }
  }
  return files;
}

function describeCalls(calls: readonly SdkCall[]): string {
  return calls.map((c) => `${c.iamAction} (${c.via}, ${c.file}:${c.line})`).join('\n');
}

describe('member role permissions, derived from the code', () => {
  let statements: TemplateStatement[];
  let files: Map<string, string>;
  let synth: Synthesized | undefined;
  let responderStatements: TemplateStatement[];

  beforeAll(async () => {
    statements = memberStatements();
    files = await actionFiles();
    synth = synthCordon();
    const responder = Template.fromStack(synth.stacks.responder).toJSON() as {
      Resources: Record<
        string,
        { Type: string; Properties: { PolicyDocument?: { Statement: TemplateStatement[] }; Roles?: Array<{ Ref: string }> } }
      >;
    };
    const roleId = synth.stacks.responder.getLogicalId(synth.stacks.responder.functionRole.node.defaultChild as CfnElement);
    responderStatements = Object.values(responder.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles ?? []).some((ref) => ref.Ref === roleId))
      .flatMap((r) => r.Properties.PolicyDocument?.Statement ?? []);
  });
  afterAll(() => cleanUp(synth));

  it('finds the file of every registered action', () => {
    // Assess
    expect([...files.keys()].sort()).toEqual([...ACTIONS.keys()].sort());
  });

  it('grants exactly what the action registry and the exemption check declare, nothing beyond', () => {
    // Assess
    expect(allowedActions(statements)).toEqual(grantedMemberActions());
    expect(grantedMemberActions()).toEqual(expect.arrayContaining([...EXEMPTION_PERMISSIONS]));
  });

  it('has a reviewed scope for every permission it grants (no Unreviewed statement)', () => {
    // Act
    const unreviewed = grantedMemberActions().filter((a) => !MEMBER_SCOPES[a]);
    // Assess
    expect(unreviewed).toEqual([]);
    expect(statements.map((s) => s.Sid)).not.toContain('Unreviewed');
  });

  it.each([...ACTIONS.keys()].sort())('%s: every AWS call it makes is declared by the action and granted to the member role', (name) => {
    // Prepare
    const action = ACTIONS.get(name) as ActionDefinition<unknown>;
    const file = files.get(name) as string;
    const own = scanFile(file, REPO_ROOT);
    const helpers = reachableFiles(file)
      .filter((f) => f !== file && f.startsWith(path.join(REPO_ROOT, 'src/actions/')))
      .flatMap((f) => scanFile(f, REPO_ROOT));
    const undoPermissions = action.undo.kind === 'restore' ? action.undo.permissions : [];
    const runPermissions = [...action.permissions.member, ...action.permissions.home];
    // Act: calls in `run` must be declared in permissions, calls in `undo` in undo.permissions,
    // calls in shared helpers in either; every member-account call must be granted.
    const undeclared = [
      ...own.filter((c) => !c.inUndo && !runPermissions.includes(c.iamAction)),
      ...own.filter((c) => c.inUndo && !undoPermissions.includes(c.iamAction)),
      ...helpers.filter((c) => !runPermissions.includes(c.iamAction) && !undoPermissions.includes(c.iamAction)),
    ];
    const memberCalls = [...own, ...helpers].filter((c) => MEMBER_SERVICES.has(c.iamAction.split(':')[0] ?? ''));
    const notGranted = memberCalls.filter((c) => !isGranted(statements, c.iamAction));
    // Assess
    expect(describeCalls(undeclared)).toBe('');
    expect(describeCalls(notGranted)).toBe('');
  });

  it('grants every call the responder Lambda can make in a member account, and each grant is used by some call', () => {
    // Prepare
    const calls = reachableFiles(HANDLER).flatMap((f) => scanFile(f, REPO_ROOT));
    const memberCalls = calls.filter((c) => !isHomeCall(c) && MEMBER_SERVICES.has(serviceOf(c.iamAction)));
    // Act
    const notGranted = memberCalls.filter((c) => !isGranted(statements, c.iamAction));
    const unused = allowedActions(statements).filter((a) => !memberCalls.some((c) => c.iamAction === a));
    // Assess
    expect(memberCalls.length).toBeGreaterThan(20);
    expect(describeCalls(notGranted)).toBe('');
    expect(unused).toEqual([]);
  });

  it("grants the responder's role every call the Lambda makes as the security account, and each grant is used", () => {
    // Prepare
    const calls = reachableFiles(HANDLER).flatMap((f) => scanFile(f, REPO_ROOT));
    const services = new Set(calls.map((c) => serviceOf(c.iamAction)));
    const homeCalls = calls.filter(isHomeCall);
    const homeActions = new Set([...homeCalls.map((c) => c.iamAction), ...GUARDDUTY_LIST_ROLE_PERMISSIONS]);
    // Act
    const unclassified = [...services].filter((s) => !MEMBER_SERVICES.has(s) && !HOME_SERVICES.has(s));
    const notGranted = homeCalls.filter((c) => !NEEDS_NO_PERMISSION.has(c.iamAction) && !isGranted(responderStatements, c.iamAction));
    const unused = allowedActions(responderStatements).filter(
      (a) => (HOME_SERVICES.has(serviceOf(a)) || MEMBER_SERVICES.has(serviceOf(a))) && !homeActions.has(a),
    );
    // Assess
    expect(unclassified).toEqual([]);
    expect(unused).toEqual([]);
    expect(homeCalls.map((c) => c.iamAction)).toEqual(
      expect.arrayContaining([
        'sts:AssumeRole',
        'guardduty:GetFindings',
        'guardduty:ArchiveFindings',
        'securityhub:BatchUpdateFindings',
        'guardduty:UpdateThreatEntitySet',
        's3:PutObject',
      ]),
    );
    expect(describeCalls(notGranted)).toBe('');
  });

  it('grants the member role nothing from the security-account services, and the responder in member services only what src/intel calls', () => {
    // Prepare
    const intelCalls = reachableFiles(HANDLER)
      .flatMap((f) => scanFile(f, REPO_ROOT))
      .filter((c) => c.file.startsWith(HOME_DIR));
    const intelActions = new Set([...intelCalls.map((c) => c.iamAction), ...GUARDDUTY_LIST_ROLE_PERMISSIONS]);
    // Assess
    expect(allowedActions(statements).filter((a) => !MEMBER_SERVICES.has(serviceOf(a)))).toEqual([]);
    expect(allowedActions(responderStatements).filter((a) => MEMBER_SERVICES.has(serviceOf(a)) && !intelActions.has(a))).toEqual([]);
  });
});

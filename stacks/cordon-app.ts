import { type App, type Environment, Tags, Validations } from 'aws-cdk-lib';
import { RESPONDER_STACK_NAME } from '../src/config/defaults';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { CordonConfig } from './config';
import { CustomActionsStack } from './custom-actions-stack';
import { EnablerRoleStack } from './enabler-role-stack';
import { EnablerStack } from './enabler-stack';
import { ForwarderStack } from './forwarder-stack';
import { MemberRoleStackSetStack } from './member-role-stackset-stack';
import { ResponderStack } from './responder-stack';
import { organizationsRegion, TagGuardStack } from './tag-guard-stack';

/** Stack names (stable: `npx cdk deploy <name>` and docs/deploy.md use them). */
export const STACK_NAMES = {
  responder: RESPONDER_STACK_NAME,
  customActions: 'cordon-custom-actions',
  memberRoles: 'cordon-member-roles',
  forwarder: (region: string) => `cordon-forwarder-${region}`,
  enabler: 'cordon-enabler',
  enablerRole: 'cordon-enabler-role',
  tagGuard: 'cordon-tag-guard',
} as const;

/** The stacks of one cordon deployment. */
export interface CordonStacks {
  readonly responder: ResponderStack;
  /** The Security Hub custom actions: deployed once Security Hub is on in the security account's home region. */
  readonly customActions: CustomActionsStack;
  readonly memberRoles: MemberRoleStackSetStack;
  readonly forwarders: readonly ForwarderStack[];
  /** Present when `cordon:managementAccountId` is set. */
  readonly enabler?: { readonly function: EnablerStack; readonly role: EnablerRoleStack };
  /** Present when `cordon:tagGuard` is true. */
  readonly tagGuard?: TagGuardStack;
}

/**
 * Adds cordon's stacks to `app`: the responder, its Security Hub custom
 * actions and the member-role StackSet in the home region and a forwarder in
 * each other covered region, all in the security account (the StackSet stack in the management account with
 * `stackSetCallAs` SELF); with `managementAccountId`, the enabler in the
 * management account and the role it assumes in the security account; with
 * `tagGuard`, the service control policy guarding cordon's tags, in the
 * management account.
 *
 * A stack names its account only when the configuration gives it
 * (`securityAccountId`, `managementAccountId`): CDK then refuses to deploy it
 * with another account's credentials. Otherwise the CLI's credentials decide.
 * Either way `cdk synth` needs neither credentials nor lookups. cdk-nag's
 * AwsSolutions pack runs on every stack as a CDK validation plugin: an
 * unacknowledged finding fails synth.
 */
export function addCordonStacks(app: App, config: CordonConfig): CordonStacks {
  const security = (region: string): Environment => ({ account: config.securityAccountId, region });
  const management = (region: string): Environment => ({ account: config.managementAccountId, region });
  const responder = new ResponderStack(app, STACK_NAMES.responder, {
    env: security(config.homeRegion),
    description: 'cordon responder: GuardDuty findings and Security Hub custom actions to containment in member accounts',
    config,
  });
  const customActions = new CustomActionsStack(app, STACK_NAMES.customActions, {
    env: security(config.homeRegion),
    description: 'cordon custom actions: the Security Hub custom actions (deploy once Security Hub is on in this account and region)',
    config,
  });
  const memberRoles = new MemberRoleStackSetStack(app, STACK_NAMES.memberRoles, {
    env: config.stackSetCallAs === 'SELF' ? management(config.homeRegion) : security(config.homeRegion),
    description: 'cordon member roles: a service-managed StackSet deploying the role the responder assumes in every member account',
    config,
  });
  const forwarders = config.regions
    .filter((r) => r !== config.homeRegion)
    .map(
      (region) =>
        new ForwarderStack(app, STACK_NAMES.forwarder(region), {
          env: security(region),
          description: `cordon forwarder: GuardDuty findings of ${region} to the responder in ${config.homeRegion}`,
          homeRegion: config.homeRegion,
          alarm: config.alarm,
        }),
    );
  const enabler = config.enabler
    ? {
        function: new EnablerStack(app, STACK_NAMES.enabler, {
          env: management(config.homeRegion),
          description:
            'cordon enabler (management account): keeps GuardDuty and Security Hub on in every account and region, on a schedule',
          config,
          enabler: config.enabler,
        }),
        role: new EnablerRoleStack(app, STACK_NAMES.enablerRole, {
          env: security(config.homeRegion),
          description: 'cordon enabler role (security account): the delegated administrator role the enabler assumes',
          config,
          enabler: config.enabler,
        }),
      }
    : undefined;
  const tagGuard = config.tagGuard
    ? new TagGuardStack(app, STACK_NAMES.tagGuard, {
        env: { account: config.tagGuard.managementAccountId, region: organizationsRegion(config.homeRegion) },
        description: 'cordon tag guard (management account): a service control policy keeping cordon:* tags for cordon and its approvers',
        guard: config.tagGuard,
      })
    : undefined;
  const all = [
    responder,
    customActions,
    memberRoles,
    ...forwarders,
    ...(enabler ? [enabler.function, enabler.role] : []),
    ...(tagGuard ? [tagGuard] : []),
  ];
  // AWS::CloudWatch::Dashboard takes no tags.
  for (const stack of all) Tags.of(stack).add('cordon:managed', 'true', { excludeResourceTypes: ['AWS::CloudWatch::Dashboard'] });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { responder, customActions, memberRoles, forwarders, ...(enabler ? { enabler } : {}), ...(tagGuard ? { tagGuard } : {}) };
}

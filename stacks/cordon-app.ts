import { type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { CordonConfig } from './config';
import { ForwarderStack } from './forwarder-stack';
import { MemberRoleStackSetStack } from './member-role-stackset-stack';
import { ResponderStack } from './responder-stack';

/** Stack names (stable: `npx cdk deploy <name>` and docs/deploy.md use them). */
export const STACK_NAMES = {
  responder: 'cordon-responder',
  memberRoles: 'cordon-member-roles',
  forwarder: (region: string) => `cordon-forwarder-${region}`,
} as const;

/** The stacks of one cordon deployment. */
export interface CordonStacks {
  readonly responder: ResponderStack;
  readonly memberRoles: MemberRoleStackSetStack;
  readonly forwarders: readonly ForwarderStack[];
}

/**
 * Adds cordon's stacks to `app`, all in the security account: the responder
 * and the member-role StackSet in the home region, a forwarder in each other
 * covered region. No stack names an account (the CLI's credentials decide
 * where it goes), so `cdk synth` needs neither credentials nor lookups.
 * cdk-nag's AwsSolutions pack runs on every stack as a CDK validation plugin:
 * an unacknowledged finding fails synth.
 */
export function addCordonStacks(app: App, config: CordonConfig): CordonStacks {
  const home = { region: config.homeRegion };
  const responder = new ResponderStack(app, STACK_NAMES.responder, {
    env: home,
    description: 'cordon responder: GuardDuty findings and Security Hub custom actions to containment in member accounts',
    config,
  });
  const memberRoles = new MemberRoleStackSetStack(app, STACK_NAMES.memberRoles, {
    env: home,
    description: 'cordon member roles: a service-managed StackSet deploying the role the responder assumes in every member account',
    config,
  });
  const forwarders = config.regions
    .filter((r) => r !== config.homeRegion)
    .map(
      (region) =>
        new ForwarderStack(app, STACK_NAMES.forwarder(region), {
          env: { region },
          description: `cordon forwarder: GuardDuty findings of ${region} to the responder in ${config.homeRegion}`,
          homeRegion: config.homeRegion,
        }),
    );
  for (const stack of [responder, memberRoles, ...forwarders]) Tags.of(stack).add('cordon:managed', 'true');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { responder, memberRoles, forwarders };
}

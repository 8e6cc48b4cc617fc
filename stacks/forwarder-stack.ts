import { Aws, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { GUARDDUTY_FINDING_PATTERN } from './shared';

/** Props of a region forwarder. */
export interface ForwarderStackProps extends StackProps {
  /** The responder's region, whose default event bus receives the findings. */
  readonly homeRegion: string;
}

/**
 * In one covered region of the security account (not the home region): a
 * rule that sends every GuardDuty finding of this region (the administrator
 * receives its members' findings in each region) to the home region's default
 * event bus, where the responder's rule picks it up. EventBridge retries a
 * failed delivery for 24 hours; the event keeps its source, detail type and
 * original region.
 */
export class ForwarderStack extends Stack {
  public readonly rule: Rule;

  public constructor(scope: Construct, id: string, props: ForwarderStackProps) {
    super(scope, id, props);
    if (props.homeRegion === this.region) throw new Error(`ForwarderStack ${id}: a forwarder in the home region ${props.homeRegion} would deliver every finding twice`);
    const homeBus = EventBus.fromEventBusArn(this, 'HomeBus', `arn:${Aws.PARTITION}:events:${props.homeRegion}:${Aws.ACCOUNT_ID}:event-bus/default`);
    this.rule = new Rule(this, 'ForwardGuardDutyFindings', {
      description: `cordon: GuardDuty findings of this region to the responder in ${props.homeRegion}`,
      eventPattern: GUARDDUTY_FINDING_PATTERN,
      targets: [new EventBusTarget(homeBus)],
    });
  }
}

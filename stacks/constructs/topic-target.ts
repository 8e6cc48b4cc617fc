import type { IRuleRef, IRuleTarget, RuleTargetConfig, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import type { ITopic } from 'aws-cdk-lib/aws-sns';

/**
 * An EventBridge rule target: an existing SNS topic of this account and
 * region, given by ARN, with `message` as what is published. Unlike CDK's
 * SnsTopic target it sets no resource policy (it cannot change an imported
 * topic's: the topic's owner allows events.amazonaws.com, as docs/deploy.md
 * says) and, naming no target resource, makes CDK add no cross-account event
 * bus policy when the stack's account is only known at deploy time.
 */
export class ExistingTopicTarget implements IRuleTarget {
  public constructor(
    private readonly topic: ITopic,
    private readonly message: RuleTargetInput,
  ) {}

  /** The target of a rule (EventBridge calls; see IRuleTarget). */
  public bind(_rule: IRuleRef): RuleTargetConfig {
    return { arn: this.topic.topicArn, input: this.message };
  }
}

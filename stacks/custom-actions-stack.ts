import { Stack, type StackProps } from 'aws-cdk-lib';
import { CfnActionTarget } from 'aws-cdk-lib/aws-securityhub';
import type { Construct } from 'constructs';
import type { CordonConfig } from './config';

/** Props of the custom actions stack. */
export interface CustomActionsStackProps extends StackProps {
  readonly config: CordonConfig;
}

/**
 * The Security Hub custom actions analysts run cordon with (security account,
 * home region): one `AWS::SecurityHub::ActionTarget` per runbook that
 * declares a custom action, plus "False positive" and "Release". In a stack
 * of their own because CloudFormation can only create them once Security Hub
 * is on in that account and region (the enabler, or `cordon enable`, turns it
 * on): the responder, whose rules already match their ARNs, deploys without
 * them. Nothing depends on this stack; deploy it after Security Hub is on
 * (docs/deploy.md).
 */
export class CustomActionsStack extends Stack {
  public readonly actionTargets: readonly CfnActionTarget[];

  public constructor(scope: Construct, id: string, props: CustomActionsStackProps) {
    super(scope, id, props);
    this.actionTargets = props.config.customActions.map(
      (spec) => new CfnActionTarget(this, `CustomAction${spec.id}`, { id: spec.id, name: spec.name, description: spec.description }),
    );
  }
}

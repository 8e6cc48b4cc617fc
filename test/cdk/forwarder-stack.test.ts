import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ForwarderStack } from '../../stacks/forwarder-stack';
import { cleanUp, synthCordon, TEST_CONTEXT, type Synthesized } from './support/synth';

describe('region forwarder stacks', () => {
  let synth: Synthesized;

  beforeAll(() => {
    synth = synthCordon(TEST_CONTEXT);
  });
  afterAll(() => cleanUp(synth));

  it('exist once per covered region other than the home region, each in its region', () => {
    // Assess
    expect(synth.stacks.forwarders.map((s) => [s.stackName, s.region])).toEqual([
      ['cordon-forwarder-eu-central-1', 'eu-central-1'],
      ['cordon-forwarder-us-east-1', 'us-east-1'],
    ]);
    expect(synth.assembly.stacks.map((s) => s.stackName).sort()).toEqual(['cordon-forwarder-eu-central-1', 'cordon-forwarder-us-east-1', 'cordon-member-roles', 'cordon-responder']);
  });

  it("send every GuardDuty finding of their region to the home region's default bus, through a role", () => {
    for (const stack of synth.stacks.forwarders) {
      // Prepare
      const template = Template.fromStack(stack);
      const homeBus = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:eu-west-1:', { Ref: 'AWS::AccountId' }, ':event-bus/default']] };
      const roleId = Object.keys(template.findResources('AWS::IAM::Role'))[0] as string;
      // Assess
      template.resourceCountIs('AWS::Events::Rule', 1);
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'] },
        Targets: [{ Arn: homeBus, Id: 'Target0', RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] } }],
      });
      template.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' } }] } });
      template.hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: { Statement: [{ Action: 'events:PutEvents', Effect: 'Allow', Resource: homeBus }] } });
    }
  });

  it('refuses to forward the home region to itself', () => {
    // Assess
    expect(() => new ForwarderStack(new App(), 'loop', { env: { region: 'eu-west-1' }, homeRegion: 'eu-west-1' })).toThrow(/would deliver every finding twice/);
  });
});

import { guardDutyPolicyFeatures } from '../../../src/org/policies';

describe('GuardDuty organization policies', () => {
  it('reads the features a policy manages from its keys, in the default block and region blocks alike', () => {
    // Prepare: keys as https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_guardduty.html maps them.
    const content = JSON.stringify({
      guardduty: {
        default: { s3_data_events: { enable: { '@@assign': true } } },
        'eu-west-1': { ebs_malware_protection: { enable: { '@@assign': true } }, foundational: {} },
      },
    });
    // Act + Assess
    expect(guardDutyPolicyFeatures(content)).toEqual(['S3_DATA_EVENTS', 'EBS_MALWARE_PROTECTION']);
    expect(guardDutyPolicyFeatures('{"guardduty":{}}')).toEqual([]);
    expect(guardDutyPolicyFeatures('not json')).toEqual([]);
  });
});

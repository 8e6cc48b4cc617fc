import { asffType, guardDutyToAsff, severityLabel } from '../../../local-aws/emulator/asff';

describe('GuardDuty → ASFF mapping', () => {
  it('replaces the first "/" of the type and prefixes the namespace of its threat purpose', () => {
    expect(asffType('Recon:EC2/PortProbeUnprotectedPort')).toBe('TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort');
    expect(asffType('CryptoCurrency:EC2/BitcoinTool.B!DNS')).toBe('Effects/Resource Consumption/CryptoCurrency:EC2-BitcoinTool.B!DNS');
    expect(asffType('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS')).toBe(
      'TTPs/Initial Access/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration.OutsideAWS',
    );
  });

  it('maps GuardDuty severity bands to labels', () => {
    expect([0, 1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map(severityLabel)).toEqual([
      'INFORMATIONAL',
      'LOW',
      'LOW',
      'MEDIUM',
      'MEDIUM',
      'HIGH',
      'HIGH',
      'CRITICAL',
      'CRITICAL',
    ]);
  });

  it('builds an ASFF finding for an access key finding', () => {
    // Act
    const asff = guardDutyToAsff({
      AccountId: '111111111111',
      Region: 'eu-west-1',
      Partition: 'aws',
      Id: 'abc',
      Arn: 'arn:aws:guardduty:eu-west-1:111111111111:detector/d/finding/abc',
      Type: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller',
      Severity: 5,
      SchemaVersion: '2.0',
      CreatedAt: '2024-01-01T00:00:00.000Z',
      UpdatedAt: '2024-01-02T00:00:00.000Z',
      Resource: {
        ResourceType: 'AccessKey',
        AccessKeyDetails: { AccessKeyId: 'AKIAEXAMPLE', UserName: 'alice', UserType: 'IAMUser', PrincipalId: 'AIDA1' },
      },
      Service: { DetectorId: 'd', Count: 4, Archived: false },
    });

    // Assess
    expect(asff).toMatchObject({
      Id: 'arn:aws:guardduty:eu-west-1:111111111111:detector/d/finding/abc',
      ProductArn: 'arn:aws:securityhub:eu-west-1::product/aws/guardduty',
      GeneratorId: 'arn:aws:guardduty:eu-west-1:111111111111:detector/d',
      Severity: { Label: 'MEDIUM', Normalized: 50, Product: 5 },
      RecordState: 'ACTIVE',
      Resources: [{ Type: 'AwsIamAccessKey', Id: 'AWS::IAM::AccessKey:AKIAEXAMPLE', Details: { AwsIamAccessKey: { UserName: 'alice' } } }],
    });
    expect(asff.ProductFields?.['aws/guardduty/service/count']).toBe('4');
  });
});

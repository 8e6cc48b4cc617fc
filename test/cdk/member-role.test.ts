import { Match, Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_ROLE_NAME } from '../../src/config/defaults';
import { DEFAULT_ADMIN_ROLE_NAME } from '../../src/org/settings';
import { DEFAULT_ROLE_NAMES } from '../../stacksets/role-names';
import { MANAGED_GROUP_TAG } from '../../stacksets/member-role-policy';
import { MEMBER_ROLE_PARAMETERS, memberRoleTemplate } from '../../stacksets/member-role';
import { actionsOf, type TemplateStatement } from './support/iam';

/** IAM's limit on a role's inline policies, in characters without whitespace. */
const IAM_INLINE_POLICY_LIMIT_CHARS = 10_240;

describe('member role template (stacksets/member-role.ts)', () => {
  let json: Record<string, unknown>;
  let template: Template;
  let statements: TemplateStatement[];

  beforeAll(() => {
    json = memberRoleTemplate();
    template = Template.fromJSON(json);
    const role = Object.values(template.findResources('AWS::IAM::Role'))[0] as {
      Properties: { Policies: Array<{ PolicyDocument: { Statement: TemplateStatement[] } }> };
    };
    statements = role.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement);
  });

  it('takes every environment difference as a parameter, and holds no account id or region', () => {
    // Prepare
    const text = JSON.stringify(json);
    // Assess
    template.hasParameter(MEMBER_ROLE_PARAMETERS.roleName, { Type: 'String', Default: DEFAULT_ROLE_NAME });
    template.hasParameter(MEMBER_ROLE_PARAMETERS.responderRoleArn, { Type: 'String', AllowedPattern: Match.stringLikeRegexp('iam') });
    template.hasParameter(MEMBER_ROLE_PARAMETERS.organizationId, { Type: 'String', AllowedPattern: '^o-[a-z0-9]{10,32}$' });
    template.hasParameter(MEMBER_ROLE_PARAMETERS.externalId, { Type: 'String', Default: '' });
    template.hasParameter(MEMBER_ROLE_PARAMETERS.enablerRoleName, { Type: 'String', Default: DEFAULT_ADMIN_ROLE_NAME });
    template.hasParameter(MEMBER_ROLE_PARAMETERS.enablerFunctionRoleName, { Type: 'String', Default: DEFAULT_ROLE_NAMES.enablerFunction });
    expect(text).not.toMatch(/\d{12}/);
    expect(text).not.toMatch(
      /\b(us|eu|ap|sa|ca|me|af|il|mx)-(gov-)?(east|west|north|south|central|northeast|southeast|northwest|southwest)-\d\b/,
    );
    expect(text).not.toMatch(/arn:aws:/);
    expect(Object.keys(json)).not.toContain('Rules');
    expect(JSON.stringify(json.Parameters ?? {})).not.toContain('BootstrapVersion');
  });

  it('trusts only the responder role, only from inside the organization, with the external id when one is set', () => {
    // Prepare
    const base = {
      ArnEquals: { 'aws:PrincipalArn': { Ref: 'ResponderRoleArn' } },
      StringEquals: { 'aws:PrincipalOrgID': { Ref: 'OrganizationId' } },
    };
    // Assess
    template.hasCondition('HasExternalId', { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ExternalId' }, ''] }] });
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: { Ref: 'RoleName' },
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'CordonResponderOnly',
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: {
              AWS: {
                'Fn::Sub': [
                  'arn:${AWS::Partition}:iam::${Account}:root',
                  { Account: { 'Fn::Select': [4, { 'Fn::Split': [':', { Ref: 'ResponderRoleArn' }] }] } },
                ],
              },
            },
            Condition: {
              'Fn::If': [
                'HasExternalId',
                { ...base, StringEquals: { ...base.StringEquals, 'sts:ExternalId': { Ref: 'ExternalId' } } },
                base,
              ],
            },
          },
          // The operators' statement (next test), present only when there are operators.
          Match.anyValue(),
        ],
      },
    });
  });

  it("trusts the deployment's operator roles beside the responder's, with the same conditions, only when there are some", () => {
    // Prepare
    const base = {
      ArnEquals: { 'aws:PrincipalArn': { Ref: 'OperatorRoleArns' } },
      StringEquals: { 'aws:PrincipalOrgID': { Ref: 'OrganizationId' } },
    };
    // Assess
    template.hasParameter(MEMBER_ROLE_PARAMETERS.operatorRoleArns, { Type: 'CommaDelimitedList', Default: '' });
    template.hasCondition('HasOperators', { 'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::Join': [',', { Ref: 'OperatorRoleArns' }] }, ''] }] });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: Match.arrayWith([
          {
            'Fn::If': [
              'HasOperators',
              {
                Sid: 'CordonOperators',
                Effect: 'Allow',
                Action: 'sts:AssumeRole',
                Principal: {
                  AWS: {
                    'Fn::Sub': [
                      'arn:${AWS::Partition}:iam::${Account}:root',
                      { Account: { 'Fn::Select': [4, { 'Fn::Split': [':', { Ref: 'ResponderRoleArn' }] }] } },
                    ],
                  },
                },
                Condition: {
                  'Fn::If': [
                    'HasExternalId',
                    { ...base, StringEquals: { ...base.StringEquals, 'sts:ExternalId': { Ref: 'ExternalId' } } },
                    base,
                  ],
                },
              },
              { Ref: 'AWS::NoValue' },
            ],
          },
        ]),
      },
    });
  });

  it("cannot change itself, the StackSet execution role that manages it, nor cordon's own roles where it shares their account", () => {
    // Act
    const deny = statements.filter((s) => s.Effect === 'Deny');
    // Assess: in the security account the responder's role and the enabler's role; in the management account the enabler Lambda's.
    expect(deny).toEqual([
      {
        Sid: 'NeverChangeItselfOrItsManager',
        Effect: 'Deny',
        Action: ['iam:*'],
        Resource: [
          { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${RoleName}' },
          { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/stacksets-exec-*' },
          { 'Fn::Sub': '${ResponderRoleArn}' },
          { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${EnablerRoleName}' },
          { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${EnablerFunctionRoleName}' },
        ],
      },
    ]);
    // No Allow statement names a role more narrowly than the deny covers (deny wins in IAM anyway).
    expect(
      statements.filter(
        (s) => s.Effect === 'Allow' && s.Condition === undefined && JSON.stringify(s.Resource).includes('ResponderRoleArn'),
      ),
    ).toEqual([]);
  });

  it('grants "*" only to calls that support no resource-level permission, all of them reads', () => {
    // Act
    const onAnything = statements.filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Resource) === '["*"]').flatMap(actionsOf);
    // Assess
    expect(onAnything.length).toBeGreaterThan(0);
    expect(onAnything.filter((a) => !/^[a-z0-9-]+:(Describe|List|Get)/.test(a))).toEqual([]);
  });

  it("scopes writes: cordon's own tagged security groups, cordon's tag keys, tagged snapshots, this account's buckets, this account's resources", () => {
    // Prepare
    const byAction = (action: string) => statements.filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action));
    const onlyManagedGroups = { StringEquals: { [`aws:ResourceTag/${MANAGED_GROUP_TAG.key}`]: MANAGED_GROUP_TAG.value } };
    // Assess
    for (const action of ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress']) {
      expect(byAction(action).map((s) => s.Condition)).toEqual([onlyManagedGroups]);
    }
    expect(byAction('ec2:CreateSecurityGroup').map((s) => [s.Resource, s.Condition ?? null])).toEqual(
      expect.arrayContaining([
        [[{ 'Fn::Sub': 'arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:vpc/*' }], null],
        [
          [{ 'Fn::Sub': 'arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:security-group/*' }],
          { StringEquals: { 'aws:RequestTag/cordon:managed': 'true' } },
        ],
      ]),
    );
    // cordon:* keys on existing instances; groups and snapshots only as cordon creates them (never an existing group tagged cordon:managed)
    expect(byAction('ec2:CreateTags').map((s) => [s.Resource, s.Condition])).toEqual([
      [
        [{ 'Fn::Sub': 'arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:instance/*' }],
        { 'ForAllValues:StringLike': { 'aws:TagKeys': ['cordon:*'] } },
      ],
      [
        expect.arrayContaining([{ 'Fn::Sub': 'arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:security-group/*' }]),
        { StringEquals: { 'ec2:CreateAction': ['CreateSecurityGroup', 'CreateSnapshot', 'CreateSnapshots'] } },
      ],
      // A malicious snapshot or AMI (Malware Protection) gets the finding's cordon:* tags, no other key.
      [
        [{ 'Fn::Sub': 'arn:${AWS::Partition}:ec2:*::snapshot/*' }, { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:*::image/*' }],
        { 'ForAllValues:StringLike': { 'aws:TagKeys': ['cordon:*'] } },
      ],
    ]);
    for (const action of ['ec2:CreateSnapshot', 'ec2:CreateSnapshots'])
      expect(byAction(action).map((s) => s.Condition ?? null)).toEqual(
        expect.arrayContaining([{ Null: { 'aws:RequestTag/cordon:finding-id': 'false' } }]),
      );
    for (const action of ['s3:PutBucketPublicAccessBlock', 's3:GetBucketPublicAccessBlock', 's3:GetBucketTagging']) {
      expect(byAction(action).map((s) => s.Condition)).toEqual([
        { StringEquals: { 'aws:ResourceAccount': { 'Fn::Sub': '${AWS::AccountId}' } } },
      ]);
    }
    const scopedWrites = statements.filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Resource) !== '["*"]');
    for (const s of scopedWrites) {
      for (const r of s.Resource as Array<{ 'Fn::Sub': string }>) {
        // Every ARN is this account's, except S3, EC2 snapshot and AMI ARNs, which carry no account.
        expect(r['Fn::Sub']).toMatch(
          /\$\{AWS::AccountId\}|^arn:\$\{AWS::Partition\}:s3:::\*$|^arn:\$\{AWS::Partition\}:ec2:\*::(snapshot|image)\/\*$/,
        );
      }
    }
  });

  it('may deny an IAM user with AWSDenyAll only: attaching or detaching any other policy, or writing a user policy, is not granted', () => {
    // Prepare
    const byAction = (action: string) => statements.filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action));
    const onlyDenyAll = { ArnEquals: { 'iam:PolicyARN': { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AWSDenyAll' } } };
    // Assess
    for (const action of ['iam:AttachUserPolicy', 'iam:DetachUserPolicy'])
      expect(byAction(action).map((s) => s.Condition)).toEqual([onlyDenyAll]);
    const granted = statements.filter((s) => s.Effect === 'Allow').flatMap(actionsOf);
    expect(granted.filter((a) => /^iam:(Put|Delete)UserPolicy$|^iam:(Attach|Detach)(Role|Group)Policy$/.test(a))).toEqual([]);
    // PutRolePolicy stays (the revocation policy): IAM has no condition key naming an inline policy (docs/deploy.md says so).
    expect(byAction('iam:PutRolePolicy').map((s) => s.Condition ?? null)).toEqual([null]);
  });

  it("fits IAM's size limit for a role's inline policies, with a tenth to spare", () => {
    // Prepare: what IAM receives once CloudFormation substitutes the longest partition and an account id.
    const longest: Record<string, string> = {
      'AWS::Partition': 'aws-us-gov',
      'AWS::AccountId': '123456789012',
      RoleName: 'x'.repeat(64),
      EnablerRoleName: 'x'.repeat(64),
      EnablerFunctionRoleName: 'x'.repeat(64),
      ResponderRoleArn: `arn:aws-us-gov:iam::123456789012:role/${'x'.repeat(64)}`,
    };
    const policies = JSON.stringify(statements)
      .replace(/\{"Fn::Sub":"([^"]*)"\}/g, (_m, arn: string) =>
        JSON.stringify(
          arn.replace(/\$\{([^}]+)\}/g, (_v, name: string) => {
            const value = longest[name];
            if (value === undefined) throw new Error(`no longest value for \${${name}}`);
            return value;
          }),
        ),
      )
      .replace(/\s/g, '');
    // Assess: with every 2026 finding family the policy is at about 82% of IAM's aggregate limit. The role's policy grows only
    // with cordon's code (revocations are written on other roles), but the next family's grants must go into a managed policy.
    expect(policies.length).toBeLessThan(IAM_INLINE_POLICY_LIMIT_CHARS * 0.9);
  });
});

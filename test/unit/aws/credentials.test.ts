import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { AssumeRoleError } from '../../../src/errors';
import { MemberCredentialsCache, sessionNameFor, validateRoleSettings } from '../../../src/aws/credentials';

describe('MemberCredentialsCache', () => {
  const sts = new STSClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const mock = mockClient(sts);
  beforeEach(() => mock.reset());

  const creds = (expiresInMs: number) => ({
    Credentials: { AccessKeyId: 'ASIA1', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(Date.now() + expiresInMs) },
  });

  it('assumes once per (account, region) however many callers ask at once', async () => {
    // Prepare
    mock.on(AssumeRoleCommand).resolves(creds(3600_000));
    const cache = new MemberCredentialsCache(() => sts, { roleName: 'cordon-responder', externalId: 'ext-123' });
    cache.labelNextSession('111122223333', 'us-east-1', 'finding/abc');

    // Act
    await Promise.all(Array.from({ length: 20 }, () => cache.get('111122223333', 'us-east-1')));
    await cache.get('111122223333', 'eu-west-1');

    // Assess
    expect(cache.assumeRoleCalls).toBe(2);
    const first = mock.commandCalls(AssumeRoleCommand)[0]?.args[0].input;
    expect(first).toEqual({
      RoleArn: 'arn:aws:iam::111122223333:role/cordon-responder',
      RoleSessionName: 'cordon-finding-abc',
      ExternalId: 'ext-123',
      DurationSeconds: 3600,
    });
  });

  it('renews credentials near expiry', async () => {
    mock.on(AssumeRoleCommand).resolves(creds(60_000));
    const cache = new MemberCredentialsCache(() => sts, { roleName: 'r' });
    await cache.get('111122223333', 'us-east-1');
    await cache.get('111122223333', 'us-east-1');
    expect(cache.assumeRoleCalls).toBe(2);
  });

  it('reports AccessDenied with the role ARN and does not cache the failure', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: sts:AssumeRole'), { name: 'AccessDenied' });
    mock.on(AssumeRoleCommand).rejectsOnce(denied).resolves(creds(3600_000));
    const cache = new MemberCredentialsCache(() => sts, { roleName: 'cordon-responder' });
    await expect(cache.get('111122223333', 'us-east-1')).rejects.toThrow(AssumeRoleError);
    await expect(cache.get('111122223333', 'us-east-1')).resolves.toMatchObject({ accessKeyId: 'ASIA1' });
  });
});

describe('role settings', () => {
  it('builds valid session names and rejects bad role names', () => {
    expect(sessionNameFor('a finding: with spaces/and slashes')).toBe('cordon-a-finding--with-spaces-and-slashes');
    expect(sessionNameFor('x'.repeat(100))).toHaveLength(64);
    expect(validateRoleSettings({ roleName: 'bad role' })).toEqual([expect.stringContaining('not a valid IAM role name')]);
    expect(validateRoleSettings({ roleName: 'ok', externalId: 'x' })).toEqual([expect.stringContaining('external id')]);
  });
});

/**
 * Shared setup for the emulator's integration tests: SDK client configuration
 * for the local endpoint, and credentials for any account through moto's
 * STS AssumeRole (moto maps the returned keys to the role's account).
 */
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

import type { LocalAws } from '../../../local-aws/start';

/** Fake credentials of the default moto account 123456789012. */
export const TEST_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

/** moto's default account. */
export const DEFAULT_ACCOUNT = '123456789012';

/** Static credentials. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** SDK client configuration pointing at the local endpoint. */
export function clientConfig(
  local: LocalAws,
  region = 'us-east-1',
  credentials: Credentials = TEST_CREDENTIALS,
): { endpoint: string; region: string; credentials: Credentials; maxAttempts: number } {
  // maxAttempts 1: an emulator error must surface at once, not after retries.
  return { endpoint: local.endpoint, region, credentials, maxAttempts: 1 };
}

/** Credentials in `accountId`, from moto's STS AssumeRole (the role need not exist in moto). */
export async function credentialsFor(local: LocalAws, accountId: string, roleName = 'cordon-test'): Promise<Credentials> {
  const sts = new STSClient(clientConfig(local));
  const out = await sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`, RoleSessionName: 'emulator-test' }),
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole into ${accountId} returned no credentials`);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

/**
 * An organization in moto, created by its default account (the management
 * account), with one account per name; returns their ids, in order.
 */
export async function createOrganization(local: LocalAws, names: readonly string[]): Promise<string[]> {
  const orgs = new OrganizationsClient(clientConfig(local));
  await orgs.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const created: string[] = [];
  for (const name of names) {
    const out = await orgs.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
    created.push(out.CreateAccountStatus?.AccountId ?? '');
  }
  return created;
}

/** A GuardDuty finding in the EventBridge `detail` shape. */
export function sampleFinding(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemaVersion: '2.0',
    accountId: '111111111111',
    region: 'us-east-1',
    partition: 'aws',
    id: 'f0c1a2b3c4d5e6f708192a3b4c5d6e7f',
    type: 'UnauthorizedAccess:EC2/SSHBruteForce',
    severity: 8,
    title: '203.0.113.7 is performing SSH brute force attacks against i-0abc1234def567890.',
    description: 'An EC2 instance is the target of SSH brute force attempts.',
    createdAt: '2024-05-01T10:00:00.000Z',
    updatedAt: '2024-05-01T10:00:00.000Z',
    resource: {
      resourceType: 'Instance',
      instanceDetails: {
        instanceId: 'i-0abc1234def567890',
        instanceType: 't3.micro',
        networkInterfaces: [
          {
            privateIpAddress: '10.0.0.12',
            vpcId: 'vpc-123',
            subnetId: 'subnet-123',
            securityGroups: [{ groupId: 'sg-1', groupName: 'web' }],
          },
        ],
        tags: [{ key: 'Name', value: 'web-1' }],
      },
    },
    service: {
      serviceName: 'guardduty',
      count: 1,
      archived: false,
      resourceRole: 'TARGET',
      eventFirstSeen: '2024-05-01T09:55:00.000Z',
      eventLastSeen: '2024-05-01T10:00:00.000Z',
      action: { actionType: 'NETWORK_CONNECTION' },
    },
    ...overrides,
  };
}

/**
 * Runs `fn` with `credentials` in the environment (AWS_ACCESS_KEY_ID…), the
 * way a user runs the CLI as another account: the SDK's default credential
 * chain reads them. The previous values are restored afterwards.
 */
export async function withCredentials<T>(credentials: Credentials, fn: () => Promise<T>): Promise<T> {
  const names = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;
  const saved = names.map((n) => process.env[n]);
  const values = [credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken];
  names.forEach((n, i) => {
    const v = values[i];
    if (v === undefined) delete process.env[n];
    else process.env[n] = v;
  });
  try {
    return await fn();
  } finally {
    names.forEach((n, i) => {
      const v = saved[i];
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    });
  }
}

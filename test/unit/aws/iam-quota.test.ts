import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AttachUserPolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { ClientFactory } from '../../../src/aws/clients';
import { isIamQuotaExceeded } from '../../../src/aws/iam-quota';

/**
 * IAM's quota refusal (LimitExceeded, HTTP 409; IAM API Reference,
 * AttachUserPolicy and PutRolePolicy) with the real SDK against a stand-in
 * IAM endpoint: the SDK alone retries it as throttling, an IAM client of the
 * factory answers it at once.
 */
describe('IAM quota refusals are final', () => {
  let server: http.Server;
  let endpoint: string;
  let requests = 0;
  const saved = { ...process.env };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests += 1;
        res.writeHead(409, { 'content-type': 'text/xml' });
        res.end(
          '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>LimitExceeded</Code><Message>Cannot exceed quota for PoliciesPerUser: 10</Message></Error><RequestId>r</RequestId></ErrorResponse>',
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    requests = 0;
  });
  afterAll(async () => {
    process.env = saved;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const attach = new AttachUserPolicyCommand({ UserName: 'deploy-bot', PolicyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' });

  it('the SDK alone retries the refusal as throttling, for every attempt', async () => {
    // Prepare
    const iam = new IAMClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 2 });

    // Act
    const err = await iam.send(attach).catch((e: unknown) => e);

    // Assess: two requests for one call (why the factory's clients rename it)
    expect((err as Error).name).toBe('LimitExceededException');
    expect(requests).toBe(2);
    iam.destroy();
  });

  it("a factory's IAM client sends it once and reports it as IAM's quota refusal", async () => {
    // Prepare
    process.env.AWS_ENDPOINT_URL_IAM = endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'a';
    process.env.AWS_SECRET_ACCESS_KEY = 'b';
    const factory = new ClientFactory({ maxAttempts: 8 });

    // Act
    const err = await factory
      .home(IAMClient, 'us-east-1')
      .send(attach)
      .catch((e: unknown) => e);

    // Assess
    expect(requests).toBe(1);
    expect(isIamQuotaExceeded(err)).toBe(true);
    expect((err as Error).message).toBe('Cannot exceed quota for PoliciesPerUser: 10');
    factory.destroy();
  });
});

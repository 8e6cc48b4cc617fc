import { AccountClient, ListRegionsCommand } from '@aws-sdk/client-account';
import {
  DeregisterDelegatedAdministratorCommand,
  EnableAWSServiceAccessCommand,
  ListAccountsCommand,
  ListDelegatedAdministratorsCommand,
  OrganizationsClient,
  RegisterDelegatedAdministratorCommand,
} from '@aws-sdk/client-organizations';

import { startLocalAws, type LocalAws } from '../../../local-aws/start';
import { clientConfig, createOrganization, credentialsFor, DEFAULT_ACCOUNT, type Credentials } from './helpers';

const ACCOUNT_MANAGEMENT = 'account.amazonaws.com';

/** The error a call failed with (so that Act collects outcomes and Assess checks them). */
const failure = (err: unknown): unknown => err;

describe('AWS Account Management delegation and the Account API rules', () => {
  let local: LocalAws;
  let security = '';
  let workload = '';
  let other = '';
  let securityCreds: Credentials;
  let workloadCreds: Credentials;

  const orgs = (creds?: Credentials): OrganizationsClient => new OrganizationsClient(clientConfig(local, 'us-east-1', creds));
  const account = (creds?: Credentials): AccountClient => new AccountClient(clientConfig(local, 'us-east-1', creds));
  const regionsOf = async (creds: Credentials | undefined, accountId: string): Promise<string[]> =>
    ((await account(creds).send(new ListRegionsCommand({ AccountId: accountId, RegionOptStatusContains: ['ENABLED'] }))).Regions ?? []).map(
      (r) => r.RegionName ?? '',
    );

  beforeAll(async () => {
    local = await startLocalAws();
    [security = '', workload = '', other = ''] = await createOrganization(local, ['security', 'workload', 'other']);
    securityCreds = await credentialsFor(local, security);
    workloadCreds = await credentialsFor(local, workload);
    local.emulator.setRegionOptStatus(workload, 'af-south-1', 'ENABLED');
  });

  afterAll(async () => {
    await local?.stop();
  });

  it("refuses other accounts' regions to everyone until trusted access, and registration before it", async () => {
    // Act
    const asManagement = await regionsOf(undefined, workload).catch(failure);
    const register = await orgs()
      .send(new RegisterDelegatedAdministratorCommand({ AccountId: security, ServicePrincipal: ACCOUNT_MANAGEMENT }))
      .catch(failure);

    // Assess
    expect(asManagement).toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('Your organization must first enable trusted access with AWS Account Management.'),
    });
    expect(register).toMatchObject({ name: 'ConstraintViolationException', Reason: 'SERVICE_ACCESS_NOT_ENABLED' });
  });

  it('answers the management account once trusted access is on, but not another account that is not the delegated administrator', async () => {
    // Prepare
    await orgs().send(new EnableAWSServiceAccessCommand({ ServicePrincipal: ACCOUNT_MANAGEMENT }));

    // Act
    const fromManagement = await regionsOf(undefined, workload);
    const fromSecurity = await regionsOf(securityCreds, workload).catch(failure);
    const ownId = await account()
      .send(new ListRegionsCommand({ AccountId: DEFAULT_ACCOUNT }))
      .catch(failure);
    const own = await account(workloadCreds).send(new ListRegionsCommand({ RegionOptStatusContains: ['ENABLED'] }));

    // Assess
    expect(fromManagement).toEqual(['af-south-1']);
    expect(fromSecurity).toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('neither the management account nor the AWS Account Management delegated administrator'),
    });
    expect(ownId).toMatchObject({ name: 'ValidationException', message: expect.stringContaining("can't specify its own AccountId") });
    expect(own.Regions?.map((r) => r.RegionName)).toEqual(['af-south-1']);
  });

  it('registers one delegated administrator, only from the management account, and then answers it', async () => {
    // Act
    const register = (creds: Credentials | undefined, accountId: string): Promise<unknown> =>
      orgs(creds).send(new RegisterDelegatedAdministratorCommand({ AccountId: accountId, ServicePrincipal: ACCOUNT_MANAGEMENT }));
    const byMember = await register(workloadCreds, security).catch(failure);
    const management = await register(undefined, DEFAULT_ACCOUNT).catch(failure);
    await register(undefined, security);
    const again = await register(undefined, security).catch(failure);
    const second = await register(undefined, other).catch(failure);
    const listed = await orgs().send(new ListDelegatedAdministratorsCommand({ ServicePrincipal: ACCOUNT_MANAGEMENT }));
    const fromSecurity = await regionsOf(securityCreds, workload);
    // A delegated administrator may read the organization, through moto, as AWS allows it.
    const accounts = await orgs(securityCreds).send(new ListAccountsCommand({}));
    const workloadAsks = await regionsOf(workloadCreds, security).catch(failure);

    // Assess
    expect(byMember).toMatchObject({ name: 'AccessDeniedException' });
    expect(management).toMatchObject({ name: 'ConstraintViolationException', Reason: 'CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR' });
    expect(again).toMatchObject({ name: 'AccountAlreadyRegisteredException' });
    expect(second).toMatchObject({
      name: 'ConstraintViolationException',
      Reason: 'MAX_DELEGATED_ADMINISTRATORS_FOR_SERVICE_LIMIT_EXCEEDED',
    });
    expect(listed.DelegatedAdministrators?.map((a) => [a.Id, a.Email, a.DelegationEnabledDate instanceof Date])).toEqual([
      [security, 'security@example.com', true],
    ]);
    expect(fromSecurity).toEqual(['af-south-1']);
    expect(accounts.Accounts?.map((a) => a.Id)).toEqual(expect.arrayContaining([DEFAULT_ACCOUNT, security, workload, other]));
    expect(workloadAsks).toMatchObject({ name: 'AccessDeniedException' });
  });

  it('validates the request against the model and deregisters', async () => {
    // Act
    const malformed = await orgs()
      .send(new RegisterDelegatedAdministratorCommand({ AccountId: '12345', ServicePrincipal: ACCOUNT_MANAGEMENT }))
      .catch(failure);
    await orgs().send(new DeregisterDelegatedAdministratorCommand({ AccountId: security, ServicePrincipal: ACCOUNT_MANAGEMENT }));
    const twice = await orgs()
      .send(new DeregisterDelegatedAdministratorCommand({ AccountId: security, ServicePrincipal: ACCOUNT_MANAGEMENT }))
      .catch(failure);
    const listed = await orgs().send(new ListDelegatedAdministratorsCommand({ ServicePrincipal: ACCOUNT_MANAGEMENT }));
    const fromSecurity = await regionsOf(securityCreds, workload).catch(failure);

    // Assess
    expect(malformed).toMatchObject({ name: 'InvalidInputException', message: expect.stringContaining("at 'AccountId'") });
    expect(twice).toMatchObject({ name: 'AccountNotRegisteredException' });
    expect(listed.DelegatedAdministrators).toEqual([]);
    expect(fromSecurity).toMatchObject({ name: 'AccessDeniedException' });
  });
});

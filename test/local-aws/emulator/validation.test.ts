import { GetRegionOptStatusCommand, AccountClient, ListRegionsCommand } from '@aws-sdk/client-account';
import {
  CreateDetectorCommand,
  CreateFilterCommand,
  CreateMembersCommand,
  GuardDutyClient,
  UpdateDetectorCommand,
  type CreateDetectorCommandInput,
  type FindingPublishingFrequency,
} from '@aws-sdk/client-guardduty';
import {
  BatchUpdateFindingsCommand,
  CreateActionTargetCommand,
  CreateMembersCommand as ShCreateMembersCommand,
  EnableSecurityHubCommand,
  GetFindingsCommand,
  SecurityHubClient,
  type CreateActionTargetCommandInput,
  type NoteUpdate,
  type WorkflowStatus,
} from '@aws-sdk/client-securityhub';

import { startLocalAws, type LocalAws } from '../../../local-aws/start';
import { clientConfig } from './helpers';

const PRODUCT_ARN = 'arn:aws:securityhub:us-east-1::product/aws/guardduty';

describe('request validation from the botocore models', () => {
  let local: LocalAws;
  let gd: GuardDutyClient;
  let sh: SecurityHubClient;
  let detectorId: string;

  beforeAll(async () => {
    local = await startLocalAws();
    gd = new GuardDutyClient(clientConfig(local));
    sh = new SecurityHubClient(clientConfig(local));
    detectorId = (await gd.send(new CreateDetectorCommand({ Enable: true }))).DetectorId ?? '';
    await sh.send(new EnableSecurityHubCommand({}));
  });

  afterAll(async () => {
    await local?.stop();
  });

  const identifiers = (n: number): Array<{ Id: string; ProductArn: string }> =>
    Array.from({ length: n }, (_, i) => ({ Id: `finding-${i}`, ProductArn: PRODUCT_ARN }));

  describe('GuardDuty answers BadRequestException', () => {
    it('for a missing required member', async () => {
      const input = {} as CreateDetectorCommandInput; // Enable is required by the model
      await expect(gd.send(new CreateDetectorCommand(input))).rejects.toMatchObject({
        name: 'BadRequestException',
        message: expect.stringContaining("at 'enable' failed to satisfy constraint: Member must not be null"),
      });
    });

    it('for a list longer than the model allows (CreateMembers with 51 accounts)', async () => {
      const accounts = Array.from({ length: 51 }, (_, i) => ({ AccountId: String(100000000000 + i), Email: `a${i}@example.com` }));
      await expect(gd.send(new CreateMembersCommand({ DetectorId: detectorId, AccountDetails: accounts }))).rejects.toMatchObject({
        name: 'BadRequestException',
        message: expect.stringContaining('Member must have length less than or equal to 50'),
      });
    });

    it('for a malformed account id and a too-long email', async () => {
      const rejected = gd.send(
        new CreateMembersCommand({
          DetectorId: detectorId,
          AccountDetails: [{ AccountId: '12345', Email: `${'x'.repeat(60)}@example.com` }],
        }),
      );
      await expect(rejected).rejects.toMatchObject({
        name: 'BadRequestException',
        message: expect.stringMatching(/^3 validation errors detected: .*accountDetails\.1\.accountId.*accountDetails\.1\.email/),
      });
    });

    it('for a value outside an enum', async () => {
      const frequency = 'HOURLY' as FindingPublishingFrequency;
      await expect(
        gd.send(new UpdateDetectorCommand({ DetectorId: detectorId, FindingPublishingFrequency: frequency })),
      ).rejects.toMatchObject({
        name: 'BadRequestException',
        message: expect.stringContaining('Member must satisfy enum value set: [FIFTEEN_MINUTES, ONE_HOUR, SIX_HOURS]'),
      });
    });

    it('for an operation of the model the emulator does not implement, naming it', async () => {
      const call = gd.send(
        new CreateFilterCommand({ DetectorId: detectorId, Name: 'x', FindingCriteria: { Criterion: { severity: { Gte: 4 } } } }),
      );
      await expect(call).rejects.toMatchObject({
        name: 'UnknownOperationException',
        message: expect.stringContaining('GuardDuty.CreateFilter'),
      });
    });
  });

  describe('Security Hub answers InvalidInputException', () => {
    it('for more than 100 finding identifiers', async () => {
      const call = sh.send(new BatchUpdateFindingsCommand({ FindingIdentifiers: identifiers(101), Workflow: { Status: 'RESOLVED' } }));
      await expect(call).rejects.toMatchObject({
        name: 'InvalidInputException',
        message: expect.stringContaining(
          "at 'FindingIdentifiers' failed to satisfy constraint: Member must have length less than or equal to 100",
        ),
      });
    });

    it('for a note without UpdatedBy and for a note longer than 512 characters', async () => {
      const noUpdatedBy = { Text: 'hello' } as NoteUpdate;
      await expect(
        sh.send(new BatchUpdateFindingsCommand({ FindingIdentifiers: identifiers(1), Note: noUpdatedBy })),
      ).rejects.toMatchObject({
        name: 'InvalidInputException',
        message: expect.stringContaining("'Note.UpdatedBy'"),
      });
      const tooLong = sh.send(
        new BatchUpdateFindingsCommand({ FindingIdentifiers: identifiers(1), Note: { Text: 'x'.repeat(513), UpdatedBy: 'cordon' } }),
      );
      await expect(tooLong).rejects.toMatchObject({ name: 'InvalidInputException', message: expect.stringContaining("'Note.Text'") });
    });

    it('for a workflow status outside the enum', async () => {
      const status = 'DONE' as WorkflowStatus;
      await expect(
        sh.send(new BatchUpdateFindingsCommand({ FindingIdentifiers: identifiers(1), Workflow: { Status: status } })),
      ).rejects.toMatchObject({
        name: 'InvalidInputException',
        message: expect.stringContaining('[NEW, NOTIFIED, RESOLVED, SUPPRESSED]'),
      });
    });

    it('for an action target name longer than 20 characters', async () => {
      const call = sh.send(new CreateActionTargetCommand({ Name: 'x'.repeat(21), Id: 'ok', Description: 'd' }));
      await expect(call).rejects.toMatchObject({ name: 'InvalidInputException', message: expect.stringContaining("'Name'") });
    });

    it('for an action target id that is not up to 20 alphanumeric characters, or without a description, and creates a valid one', async () => {
      // Prepare
      const noDescription = { Name: 'Isolate', Id: 'isolate' } as CreateActionTargetCommandInput;

      // Act
      const failure = (err: unknown): unknown => err;
      const dashed = await sh
        .send(new CreateActionTargetCommand({ Name: 'Isolate', Id: 'isolate-instance', Description: 'd' }))
        .catch(failure);
      const long = await sh.send(new CreateActionTargetCommand({ Name: 'Isolate', Id: 'a'.repeat(21), Description: 'd' })).catch(failure);
      const missing = await sh.send(new CreateActionTargetCommand(noDescription)).catch(failure);
      const blank = await sh.send(new CreateActionTargetCommand({ Name: 'Isolate', Id: 'isolate', Description: ' ' })).catch(failure);
      const created = await sh.send(
        new CreateActionTargetCommand({ Name: 'x'.repeat(20), Id: 'Isolate20CharsMax123', Description: 'Isolate the instance' }),
      );

      // Assess
      expect(dashed).toMatchObject({
        name: 'InvalidInputException',
        message:
          "1 validation error detected: Value 'isolate-instance' at 'Id' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9]*",
      });
      expect(long).toMatchObject({
        name: 'InvalidInputException',
        message: expect.stringMatching(/^1 validation error detected: .*'Id'.*less than or equal to 20$/),
      });
      expect(missing).toMatchObject({
        name: 'InvalidInputException',
        message: "1 validation error detected: Value null at 'Description' failed to satisfy constraint: Member must not be null",
      });
      expect(blank).toMatchObject({
        name: 'InvalidInputException',
        message: expect.stringContaining("at 'Description' failed to satisfy constraint: Member must satisfy regular expression pattern"),
      });
      expect(created.ActionTargetArn).toBe('arn:aws:securityhub:us-east-1:123456789012:action/custom/Isolate20CharsMax123');
    });

    it('for 51 accounts in CreateMembers, reported once (the model carries the limit)', async () => {
      const accounts = Array.from({ length: 51 }, (_, i) => ({ AccountId: String(100000000000 + i) }));
      await expect(sh.send(new ShCreateMembersCommand({ AccountDetails: accounts }))).rejects.toMatchObject({
        name: 'InvalidInputException',
        message: expect.stringMatching(
          /^1 validation error detected: .*'AccountDetails' failed to satisfy constraint: Member must have length less than or equal to 50$/,
        ),
      });
    });

    it('for a filter the emulator cannot evaluate, naming it instead of ignoring it', async () => {
      const call = sh.send(new GetFindingsCommand({ Filters: { NetworkSourceIpV4: [{ Cidr: '10.0.0.0/8' }] } }));
      await expect(call).rejects.toMatchObject({ name: 'InvalidInputException', message: expect.stringContaining('NetworkSourceIpV4') });
    });
  });

  describe('Account answers ValidationException', () => {
    it('for a missing region name and a page size over 50', async () => {
      const account = new AccountClient(clientConfig(local));
      await expect(account.send(new GetRegionOptStatusCommand({ RegionName: undefined as unknown as string }))).rejects.toMatchObject({
        name: 'ValidationException',
      });
      await expect(account.send(new ListRegionsCommand({ MaxResults: 51 }))).rejects.toMatchObject({ name: 'ValidationException' });
    });
  });
});

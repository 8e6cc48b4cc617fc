import {
  CreateDetectorCommand,
  CreateMembersCommand,
  EnableOrganizationAdminAccountCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  UpdateDetectorCommand,
  UpdateOrganizationConfigurationCommand,
} from '@aws-sdk/client-guardduty';
import { mockClient } from 'aws-sdk-client-mock';

import { applyRegionSteps, DETECTOR_WAIT } from '../../../src/org/apply';
import type { OrgClients } from '../../../src/org/clients';
import { DEFAULT_PLAN_KEYS, findPlan, type ProtectionPlan } from '../../../src/org/features';
import type { Organization, RegionState, RegionStep } from '../../../src/org/model';

const ADMIN = '200000000000';
const PLANS = DEFAULT_PLAN_KEYS.map((k) => findPlan(k) as ProtectionPlan);

describe('applying a region', () => {
  const gd = new GuardDutyClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const mock = mockClient(gd);
  beforeEach(() => mock.reset());
  // Every call, as the management or the security account, goes through the one mocked client.
  const clients = { home: () => gd, admin: () => gd, adminRoleArn: undefined } as unknown as OrgClients;
  const org = { accounts: [{ id: '300000000000', name: 'n', email: 'm@example.com', state: 'ACTIVE' }] } as unknown as Organization;
  const state = { region: 'us-east-1', guardDuty: { detector: undefined } } as unknown as RegionState;
  const designate: RegionStep = { kind: 'gd-designate-admin', as: 'management', adminAccountId: ADMIN };
  const detector = (afterDesignation: boolean): RegionStep => ({
    kind: 'gd-create-detector',
    as: 'admin',
    plans: PLANS,
    publishingFrequency: 'FIFTEEN_MINUTES',
    afterDesignation,
  });
  const orgConfig: RegionStep = { kind: 'gd-org-config', as: 'admin', plans: PLANS };
  const addMembers: RegionStep = { kind: 'gd-add-members', as: 'admin', accountIds: ['300000000000'] };
  const sleeps: number[] = [];
  const sleep = (ms: number): Promise<void> => {
    sleeps.push(ms);
    return Promise.resolve();
  };

  it('waits for the detector designating the administrator creates, and sets it up instead of creating another', async () => {
    // Prepare: AWS creates it a moment after designation.
    mock.on(EnableOrganizationAdminAccountCommand).resolves({});
    mock
      .on(ListDetectorsCommand)
      .resolvesOnce({ DetectorIds: [] })
      .resolves({ DetectorIds: ['d-1'] });
    mock.on(UpdateDetectorCommand).resolves({});
    sleeps.length = 0;

    // Act
    const outcomes = await applyRegionSteps(clients, org, state, [designate, detector(true)], { sleep });

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['done', 'done']);
    expect(outcomes[1]?.detail).toBe('detector d-1, which designating the administrator created, updated');
    expect(sleeps).toEqual([DETECTOR_WAIT.intervalMs]);
    expect(mock.commandCalls(CreateDetectorCommand)).toHaveLength(0);
    expect(mock.commandCalls(UpdateDetectorCommand)[0]?.args[0].input).toMatchObject({
      DetectorId: 'd-1',
      Enable: true,
      FindingPublishingFrequency: 'FIFTEEN_MINUTES',
    });
  });

  it('takes "a detector already exists" as the state wanted: the existing detector is set up', async () => {
    // Prepare: another run created it between the read and this call.
    mock.on(CreateDetectorCommand).rejects(
      Object.assign(new Error('The request is rejected because a detector already exists for the current account.'), {
        name: 'BadRequestException',
      }),
    );
    mock.on(ListDetectorsCommand).resolves({ DetectorIds: ['d-2'] });
    mock.on(UpdateDetectorCommand).resolves({});

    // Act
    const outcomes = await applyRegionSteps(clients, org, state, [detector(false)], { sleep });

    // Assess
    expect(outcomes).toEqual([{ step: expect.any(String), status: 'done', detail: 'detector d-2, which already existed, updated' }]);
  });

  it('goes on with the members when the organization configuration fails, and skips only what needs a failed step', async () => {
    // Prepare
    mock.on(CreateDetectorCommand).resolves({ DetectorId: 'd-3' });
    mock.on(UpdateOrganizationConfigurationCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    mock.on(CreateMembersCommand).resolves({ UnprocessedAccounts: [] });
    const failed = new Set<RegionStep['kind']>();

    // Act
    const first = await applyRegionSteps(clients, org, state, [detector(false), orgConfig, addMembers], { sleep, failed });
    mock.on(EnableOrganizationAdminAccountCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const second = await applyRegionSteps(clients, org, state, [designate, addMembers], { sleep });

    // Assess
    expect(mock.commandCalls(CreateDetectorCommand)).toHaveLength(1);
    expect(first.map((o) => o.status)).toEqual(['done', 'failed', 'done']);
    expect(failed).toEqual(new Set(['gd-org-config']));
    // Without the delegation, CreateMembers would make invitation-style members: skipped.
    expect(second.map((o) => [o.status, o.detail])).toEqual([
      ['failed', 'AccessDeniedException: denied'],
      ['skipped', 'it needs what failed: gd-designate-admin'],
    ]);
  });
});

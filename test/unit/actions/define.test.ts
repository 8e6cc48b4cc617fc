import { z } from 'zod';
import { defineAction, readUndoRecord } from '../../../src/actions/define';
import { ACTIONS } from '../../../src/actions/registry';
import { removeInstanceProfile } from '../../../src/actions/ec2/remove-instance-profile';
import type { ActionContext, UndoContext, UndoRecord } from '../../../src/actions/types';

/** A small action as an action file declares one. */
const moveGroups = defineAction({
  name: 'test.move-groups',
  summary: 'Moves an interface to other groups',
  params: z.strictObject({ to: z.string().default('sg-q') }),
  target: 'instance',
  disruptive: true,
  permissions: { member: ['ec2:ModifyNetworkInterfaceAttribute'], home: [] },
  prior: z.object({ groupIds: z.array(z.string()) }),
  changed: z.object({ groupIds: z.array(z.string()) }),
  undo: {
    kind: 'restore',
    permissions: ['ec2:ModifyNetworkInterfaceAttribute'],
    async run(_ctx, record, report) {
      return [
        report.done(record.resource, `back to [${record.prior.groupIds.join(', ')}]`, { changed: { groupIds: record.prior.groupIds } }),
      ];
    },
  },
  async run(ctx, p, report) {
    if (ctx.dryRun) return [report.planned('eni-1', `would move to ${p.to}`, { prior: { groupIds: ['sg-web'] } })];
    return [report.done('eni-1', `moved to ${p.to}`, { prior: { groupIds: ['sg-web'] }, changed: { groupIds: [p.to] } })];
  },
});

const undoCtx: UndoContext = {
  dryRun: false,
  force: false,
  reactivateKeys: false,
  member: <C>() => ({}) as C,
  exclusivePrincipal: (_principal, work) => work(),
};

describe('defineAction', () => {
  it("binds the action's name once: its run's and its undo's outcomes carry it", async () => {
    // Prepare
    const restore = moveGroups.undo.kind === 'restore' ? moveGroups.undo : undefined;
    const record: UndoRecord<{ groupIds: string[] }, { groupIds: string[] }> = {
      resource: 'eni-1',
      prior: { groupIds: ['sg-web'] },
      changed: { groupIds: ['sg-q'] },
    };

    // Act
    const ran = await moveGroups.run({ dryRun: false } as ActionContext, moveGroups.params.parse({}));
    const planned = await moveGroups.run({ dryRun: true } as ActionContext, moveGroups.params.parse({}));
    const undone = await restore?.run(undoCtx, record);

    // Assess
    expect(ran).toEqual([
      {
        action: 'test.move-groups',
        resource: 'eni-1',
        status: 'done',
        detail: 'moved to sg-q',
        prior: { groupIds: ['sg-web'] },
        changed: { groupIds: ['sg-q'] },
      },
    ]);
    expect(planned).toEqual([
      { action: 'test.move-groups', resource: 'eni-1', status: 'planned', detail: 'would move to sg-q', prior: { groupIds: ['sg-web'] } },
    ]);
    expect(undone).toEqual([
      { action: 'test.move-groups', resource: 'eni-1', status: 'done', detail: 'back to [sg-web]', changed: { groupIds: ['sg-web'] } },
    ]);
  });

  it("types what a run records by the action's schemas", () => {
    defineAction({
      name: 'test.typed',
      summary: 'A done outcome must record what the schemas declare',
      params: z.strictObject({}),
      target: 'instance',
      disruptive: false,
      permissions: { member: [], home: [] },
      prior: z.object({ groupIds: z.array(z.string()) }),
      changed: z.undefined(),
      undo: { kind: 'keep', reason: 'test' },
      async run(_ctx, _params, report) {
        return [
          // @ts-expect-error: prior.groupIds is a list of group ids, not one id
          report.done('eni-1', 'moved', { prior: { groupIds: 'sg-web' } }),
          // @ts-expect-error: a done outcome records its prior (its schema does not allow it to be absent)
          report.done('eni-1', 'moved', {}),
          // @ts-expect-error: nothing may be recorded as changed (its schema is z.undefined())
          report.done('eni-1', 'moved', { prior: { groupIds: [] }, changed: { groupIds: [] } }),
        ];
      },
    });
  });
});

describe('readUndoRecord', () => {
  it("returns the record as the action's schemas read it", () => {
    const read = readUndoRecord(moveGroups, { resource: 'eni-1', prior: { groupIds: ['sg-a', 'sg-b'] }, changed: { groupIds: ['sg-q'] } });

    expect(read).toEqual({
      ok: true,
      record: { resource: 'eni-1', prior: { groupIds: ['sg-a', 'sg-b'] }, changed: { groupIds: ['sg-q'] } },
    });
  });

  it('names every field that does not fit, in prior and in changed', () => {
    const read = readUndoRecord(moveGroups, { resource: 'eni-1', prior: { groups: ['sg-a'] }, changed: { groupIds: [7] } });

    expect(read).toEqual({
      ok: false,
      problems: [
        'prior.groupIds: Invalid input: expected array, received undefined',
        'changed.groupIds.0: Invalid input: expected string, received number',
      ],
    });
  });

  it('says a part is missing when the record has none', () => {
    const read = readUndoRecord(moveGroups, { resource: 'eni-1', changed: { groupIds: ['sg-q'] } });

    expect(read).toEqual({ ok: false, problems: ['prior: Invalid input: expected object, received undefined'] });
  });

  it('says why each form of a part with several kinds of record does not fit', () => {
    const read = readUndoRecord(removeInstanceProfile, { resource: 'i-1', prior: { roleName: 'web-role' } });

    expect(read).toEqual({
      ok: false,
      problems: [
        'prior: fits none of its forms (prior.instanceProfileArn: Invalid input: expected string, received undefined, prior.instanceProfileName: Invalid input: expected string, received undefined; or prior.hadPolicy: Invalid input: expected boolean, received undefined)',
      ],
    });
  });

  it('reads a revocation record of the current shape and refuses one without its statement id (an older version)', () => {
    const changed = { policyName: 'cordon-revoke-older-sessions', sid: 'CordonRevokeOlderSessions', cutoff: '2026-11-24T10:35:00.000Z' };
    const current = readUndoRecord(removeInstanceProfile, {
      resource: 'web-role',
      prior: { roleName: 'web-role', hadPolicy: false },
      changed,
    });
    const older = readUndoRecord(removeInstanceProfile, {
      resource: 'web-role',
      prior: { roleName: 'web-role', hadPolicy: false },
      changed: { policyName: 'cordon-revoke-older-sessions', cutoff: '2026-11-24T10:35:00.000Z' },
    });

    expect(current).toMatchObject({ ok: true, record: { changed } });
    expect(older).toEqual({ ok: false, problems: ['changed.sid: Invalid input: expected string, received undefined'] });
  });
});

describe('every registered action that restores', () => {
  it('never reads a record that holds no prior state', () => {
    const restoring = [...ACTIONS.values()].filter((a) => a.undo.kind === 'restore');

    expect(restoring.map((a) => a.name).sort()).toEqual([
      'ec2.isolate',
      'ec2.protect',
      'ec2.remove-instance-profile',
      'ec2.restrict-image',
      'ec2.restrict-snapshot',
      'ec2.stop',
      'ecs.isolate-task',
      'ecs.revoke-task-role',
      'eks.revoke-pod-role',
      'iam.deactivate-access-key',
      'iam.deny-user',
      'iam.revoke-role-sessions',
      'lambda.disable-event-sources',
      'lambda.revoke-role-sessions',
      'lambda.throttle',
      'network.block-domain',
      'network.block-ip',
      'network.isolate-transit',
      'rds.isolate',
      's3.deny-object-read',
    ]);
    for (const action of restoring) expect(readUndoRecord(action, { resource: 'r' })).toMatchObject({ ok: false });
  });
});

import { snapshotVolumes } from './ec2/snapshot-volumes';
import { protectInstance } from './ec2/protect-instance';
import { detachInstance } from './ec2/detach-instance';
import { isolateInstance } from './ec2/isolate-instance';
import { removeInstanceProfile } from './ec2/remove-instance-profile';
import { stopInstance } from './ec2/stop-instance';
import { isolateTransit } from './network/isolate-transit';
import { blockIp } from './network/block-ip';
import { blockDomain } from './network/block-domain';
import { deactivateAccessKey } from './iam/deactivate-access-key';
import { denyUser } from './iam/deny-user';
import { revokeRoleSessions } from './iam/revoke-role-sessions';
import { blockPublicAccess } from './s3/block-public-access';
import { archiveFinding } from './guardduty/archive-finding';
import { throttleFunction } from './lambda/throttle-function';
import { disableEventSources } from './lambda/disable-event-sources';
import { revokeExecutionRole } from './lambda/revoke-role-sessions';
import { tagFunction } from './lambda/tag-function';
import { isolateTask } from './ecs/isolate-task';
import { revokeTaskRole } from './ecs/revoke-task-role';
import { tagTask } from './ecs/tag-task';
import { snapshotDatabase } from './rds/snapshot-database';
import { isolateDatabase } from './rds/isolate-database';
import { denyObjectRead } from './s3/deny-object-read';
import { restrictSnapshot } from './ec2/restrict-snapshot';
import { restrictImage } from './ec2/restrict-image';
import { tagRecoveryPoint } from './backup/tag-recovery-point';
import { revokePodRole } from './eks/revoke-pod-role';
import { tagCluster } from './eks/tag-cluster';
import type { ActionDefinition } from './types';

/** Every action a runbook may name, by name: also the catalogue runbook validation checks names and parameters against. */
export const ACTIONS: ReadonlyMap<string, ActionDefinition<unknown>> = new Map(
  (
    [
      snapshotVolumes,
      protectInstance,
      detachInstance,
      stopInstance,
      isolateInstance,
      isolateTransit,
      removeInstanceProfile,
      blockIp,
      blockDomain,
      deactivateAccessKey,
      denyUser,
      revokeRoleSessions,
      blockPublicAccess,
      archiveFinding,
      throttleFunction,
      disableEventSources,
      revokeExecutionRole,
      tagFunction,
      tagTask,
      isolateTask,
      revokeTaskRole,
      snapshotDatabase,
      isolateDatabase,
      denyObjectRead,
      restrictSnapshot,
      restrictImage,
      tagRecoveryPoint,
      tagCluster,
      revokePodRole,
    ] satisfies ReadonlyArray<ActionDefinition<unknown>>
  ).map((a) => [a.name, a]),
);

/** Every IAM action the member role needs, derived from the actions themselves (their runs and their undos). */
export function memberPermissions(): string[] {
  const undo = [...ACTIONS.values()].flatMap((a) => (a.undo.kind === 'restore' ? a.undo.permissions : []));
  return [...new Set([...ACTIONS.values()].flatMap((a) => a.permissions.member).concat(undo, ['ec2:DescribeInstances']))].sort();
}

import { DescribePodIdentityAssociationCommand, EKSClient, ListPodIdentityAssociationsCommand } from '@aws-sdk/client-eks';
import { defineRoleRevocation, roleNameOf } from '../iam/workload-role';

/**
 * Revokes the sessions issued before now of the IAM role EKS Pod Identity
 * gives the pod's service account (the association of the finding's
 * cluster, namespace and service account, read from EKS, never from the
 * finding): the credentials the pod's containers hold, and any copy taken
 * from them. Role-wide: the role's other pods get new sessions. A service
 * account with no Pod Identity association (IRSA annotates the service
 * account inside the cluster, out of cordon's reach) is skipped, saying so.
 * Release removes the revocation. GuardDuty's guide: "Remediating Runtime
 * Monitoring findings" (compromised pod credentials) and "Remediating
 * potentially compromised AWS credentials".
 */
export const revokePodRole = defineRoleRevocation({
  name: 'eks.revoke-pod-role',
  summary: "Deny the sessions issued before now of the IAM role EKS Pod Identity gives the pod's service account (role-wide)",
  target: 'kubernetes',
  reads: ['eks:ListPodIdentityAssociations', 'eks:DescribePodIdentityAssociation'],
  async roleOf(ctx) {
    const k8s = ctx.finding.kubernetes;
    const clusterName = k8s?.clusterName as string;
    const sa = k8s?.serviceAccount;
    if (!sa) return { skip: `the finding names no service account of a pod in ${clusterName}`, resource: clusterName };
    const label = `service account ${sa.namespace}/${sa.name} of ${clusterName}`;
    const eks = ctx.member(EKSClient);
    const listed = await eks.send(
      new ListPodIdentityAssociationsCommand({ clusterName, namespace: sa.namespace, serviceAccount: sa.name }),
    );
    const associationId = listed.associations?.[0]?.associationId;
    if (!associationId)
      return {
        skip: `${label} has no EKS Pod Identity association (an IRSA role is annotated in the cluster: revoke it by hand)`,
        resource: label,
      };
    const association = (await eks.send(new DescribePodIdentityAssociationCommand({ clusterName, associationId }))).association;
    const roleName = roleNameOf(association?.roleArn, ctx.finding.accountId);
    if (!roleName)
      return {
        skip: `${label}'s role ${association?.roleArn ?? '(none)'} is not a role of account ${ctx.finding.accountId}`,
        resource: label,
      };
    return { roleName, owner: label };
  },
});

import { EKSClient, ListTagsForResourceCommand, TagResourceCommand } from '@aws-sdk/client-eks';
import { defineTagAction } from '../tagging';

/**
 * Tags the EKS cluster of an audit-log finding with the finding (evidence on
 * the cluster; release keeps it). When the Kubernetes user is not an IAM
 * principal of the finding's account that the IAM steps contain (a service
 * account, a certificate user, an alias), the outcome says its access stays
 * open: Kubernetes RBAC is out of cordon's reach. When it is one, its access
 * to the cluster stays open too: EKS authenticates it with
 * sts:GetCallerIdentity, which no deny reaches. GuardDuty's guide:
 * "Remediating EKS Protection findings"
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-remediate-kubernetes.html: compromised Kubernetes users).
 */
export const tagCluster = defineTagAction({
  name: 'eks.tag-cluster',
  summary: 'Tag the EKS cluster with the finding; say so when the Kubernetes user is no IAM principal cordon can contain',
  target: 'kubernetes',
  permissions: ['eks:ListTagsForResource', 'eks:TagResource'],
  resourceOf(ctx) {
    const k8s = ctx.finding.kubernetes;
    if (!k8s?.clusterName) return undefined;
    const { partition, region, accountId } = ctx.finding;
    return { id: k8s.clusterName, arn: k8s.clusterArn ?? `arn:${partition}:eks:${region}:${accountId}:cluster/${k8s.clusterName}` };
  },
  async read(ctx, arn) {
    return (await ctx.member(EKSClient).send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags ?? {};
  },
  async write(ctx, arn, tags) {
    await ctx.member(EKSClient).send(new TagResourceCommand({ resourceArn: arn, tags: { ...tags } }));
  },
  residuals: (finding) => {
    if (!finding.kubernetes?.username) return {};
    return { remains: [finding.accessKey ? 'kubernetes-iam-authentication' : 'kubernetes-user'] };
  },
});

/**
 * EKS Pod Identity associations, which moto does not implement:
 * CreatePodIdentityAssociation, ListPodIdentityAssociations,
 * DescribePodIdentityAssociation and DeletePodIdentityAssociation, validated
 * against botocore's `eks` model like every emulated call. Clusters stay
 * moto's (every other EKS call goes to moto): an association is refused with
 * ResourceNotFoundException unless moto knows its cluster, as EKS does; one
 * service account has at most one association (ResourceInUseException), as
 * the EKS User Guide says ("Pod Identity associations").
 */
import type {
  CreatePodIdentityAssociationRequest,
  CreatePodIdentityAssociationResponse,
  DeletePodIdentityAssociationRequest,
  DeletePodIdentityAssociationResponse,
  DescribePodIdentityAssociationRequest,
  DescribePodIdentityAssociationResponse,
  ListPodIdentityAssociationsRequest,
  ListPodIdentityAssociationsResponse,
  PodIdentityAssociation,
} from '@aws-sdk/client-eks';
import { ApiError } from './errors';
import { typed, type CallContext, type Handler } from './service';
import { hexId, key, paginate } from './util';

/** Whether moto holds the cluster, asked with the caller's key in the caller's region. */
export type ClusterLookup = (accessKeyId: string, region: string, clusterName: string) => Promise<boolean>;

/** ListPodIdentityAssociations' page size when maxResults is absent (EKS API Reference: 100). */
const DEFAULT_PAGE = 100;

/** The handlers, over one store of associations by account, region and cluster. */
export function podIdentityHandlers(clusterExists: ClusterLookup): Record<string, Handler> {
  const associations = new Map<string, PodIdentityAssociation[]>();
  const clusterOf = async (ctx: CallContext, clusterName: string): Promise<PodIdentityAssociation[]> => {
    if (!(await clusterExists(ctx.accessKeyId, ctx.region, clusterName)))
      throw new ApiError('ResourceNotFoundException', `No cluster found for name: ${clusterName}.`, 404);
    const k = key(ctx.accountId, ctx.region, clusterName);
    let list = associations.get(k);
    if (!list) associations.set(k, (list = []));
    return list;
  };
  const find = (list: readonly PodIdentityAssociation[], associationId: string): PodIdentityAssociation => {
    const found = list.find((a) => a.associationId === associationId);
    if (!found) throw new ApiError('ResourceNotFoundException', `Association ${associationId} not found.`, 404);
    return found;
  };
  return {
    CreatePodIdentityAssociation: typed<CreatePodIdentityAssociationRequest, CreatePodIdentityAssociationResponse>(async (ctx, input) => {
      const list = await clusterOf(ctx, input.clusterName as string);
      if (list.some((a) => a.namespace === input.namespace && a.serviceAccount === input.serviceAccount))
        throw new ApiError('ResourceInUseException', `Association already exists for ${input.namespace}/${input.serviceAccount}.`, 409);
      const associationId = `a-${hexId(17)}`;
      const association: PodIdentityAssociation = {
        clusterName: input.clusterName,
        namespace: input.namespace,
        serviceAccount: input.serviceAccount,
        roleArn: input.roleArn,
        associationId,
        associationArn: `arn:aws:eks:${ctx.region}:${ctx.accountId}:podidentityassociation/${input.clusterName}/${associationId}`,
        tags: input.tags ?? {},
        createdAt: ctx.now,
        modifiedAt: ctx.now,
        disableSessionTags: input.disableSessionTags ?? false,
      };
      list.push(association);
      return { association };
    }),
    ListPodIdentityAssociations: typed<ListPodIdentityAssociationsRequest, ListPodIdentityAssociationsResponse>(async (ctx, input) => {
      const list = (await clusterOf(ctx, input.clusterName as string)).filter(
        (a) =>
          (input.namespace === undefined || a.namespace === input.namespace) &&
          (input.serviceAccount === undefined || a.serviceAccount === input.serviceAccount),
      );
      const page = paginate(list, input.maxResults, input.nextToken, DEFAULT_PAGE, 'InvalidParameterException');
      return {
        associations: page.items.map(({ clusterName, namespace, serviceAccount, associationArn, associationId }) => ({
          clusterName,
          namespace,
          serviceAccount,
          associationArn,
          associationId,
        })),
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      };
    }),
    DescribePodIdentityAssociation: typed<DescribePodIdentityAssociationRequest, DescribePodIdentityAssociationResponse>(
      async (ctx, input) => ({
        association: find(await clusterOf(ctx, input.clusterName as string), input.associationId as string),
      }),
    ),
    DeletePodIdentityAssociation: typed<DeletePodIdentityAssociationRequest, DeletePodIdentityAssociationResponse>(async (ctx, input) => {
      const list = await clusterOf(ctx, input.clusterName as string);
      const association = find(list, input.associationId as string);
      list.splice(list.indexOf(association), 1);
      return { association };
    }),
  };
}

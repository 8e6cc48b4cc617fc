/**
 * Security Hub custom actions: CreateActionTarget, DescribeActionTargets,
 * UpdateActionTarget, DeleteActionTarget.
 */
import type {
  CreateActionTargetRequest,
  CreateActionTargetResponse,
  DeleteActionTargetRequest,
  DeleteActionTargetResponse,
  DescribeActionTargetsRequest,
  DescribeActionTargetsResponse,
  UpdateActionTargetRequest,
} from '@aws-sdk/client-securityhub';

import { ApiError } from '../errors';
import { typed, type Handler } from '../service';
import { paginate } from '../util';
import type { ExtraConstraint } from '../validate';
import type { SecurityHubStore } from './store';

/**
 * CreateActionTarget's limits from the Security Hub API reference, which the
 * model only states in prose: Id up to 20 alphanumeric characters, Name up to
 * 20 characters. The model itself requires Name, Description and Id and
 * rejects blank ones (NonEmptyString, `.*\S.*`). Added to the service's
 * documented limits (emulator.ts).
 */
export const ACTION_TARGET_LIMITS: Readonly<Record<string, Readonly<Record<string, ExtraConstraint>>>> = {
  // An empty Id or Name is the model's violation (NonEmptyString): these constraints do not report it again.
  CreateActionTarget: { Id: { max: 20, pattern: '[A-Za-z0-9]*' }, Name: { max: 20 } },
};

/** The action target handlers, keyed by operation name. */
export function actionTargetHandlers(store: SecurityHubStore): Record<string, Handler> {
  const notFound = (arn: string): ApiError => new ApiError('ResourceNotFoundException', `Action target ${arn} does not exist`);

  return {
    CreateActionTarget: typed<CreateActionTargetRequest, CreateActionTargetResponse>((ctx, input) => {
      store.requireHub(ctx.accountId, ctx.region);
      const arn = `arn:aws:securityhub:${ctx.region}:${ctx.accountId}:action/custom/${input.Id ?? ''}`;
      const targets = store.actionTargetsOf(ctx.accountId, ctx.region);
      if (targets.has(arn)) throw new ApiError('ResourceConflictException', `Action target ${arn} already exists`);
      targets.set(arn, { arn, name: input.Name ?? '', description: input.Description ?? '' });
      return { ActionTargetArn: arn };
    }),

    DescribeActionTargets: typed<DescribeActionTargetsRequest, DescribeActionTargetsResponse>((ctx, input) => {
      store.requireHub(ctx.accountId, ctx.region);
      const all = [...store.actionTargetsOf(ctx.accountId, ctx.region).values()];
      const wanted = input.ActionTargetArns && input.ActionTargetArns.length > 0 ? new Set(input.ActionTargetArns) : undefined;
      const missing = [...(wanted ?? [])].filter((arn) => !all.some((t) => t.arn === arn));
      if (missing.length > 0) throw notFound(missing.join(', '));
      const selected = wanted ? all.filter((t) => wanted.has(t.arn)) : all;
      const page = paginate(selected, input.MaxResults, input.NextToken, 100, 'InvalidInputException');
      return {
        ActionTargets: page.items.map((t) => ({ ActionTargetArn: t.arn, Name: t.name, Description: t.description })),
        NextToken: page.nextToken,
      };
    }),

    UpdateActionTarget: typed<UpdateActionTargetRequest, object>((ctx, input) => {
      store.requireHub(ctx.accountId, ctx.region);
      const targets = store.actionTargetsOf(ctx.accountId, ctx.region);
      const arn = input.ActionTargetArn ?? '';
      const target = targets.get(arn);
      if (!target) throw notFound(arn);
      targets.set(arn, { arn, name: input.Name ?? target.name, description: input.Description ?? target.description });
      return {};
    }),

    DeleteActionTarget: typed<DeleteActionTargetRequest, DeleteActionTargetResponse>((ctx, input) => {
      store.requireHub(ctx.accountId, ctx.region);
      const targets = store.actionTargetsOf(ctx.accountId, ctx.region);
      const arn = input.ActionTargetArn ?? '';
      if (!targets.delete(arn)) throw notFound(arn);
      return { ActionTargetArn: arn };
    }),
  };
}

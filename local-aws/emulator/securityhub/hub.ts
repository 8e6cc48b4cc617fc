/**
 * Security Hub subscription: EnableSecurityHub (with the default standards
 * unless `EnableDefaultStandards` is false), DescribeHub, DisableSecurityHub,
 * GetEnabledStandards; and the new Security Hub's (v2) DescribeSecurityHubV2
 * and EnableSecurityHubV2 (on or off per account and region, nothing more).
 */
import type {
  DescribeHubRequest,
  DescribeHubResponse,
  DescribeSecurityHubV2Response,
  EnableSecurityHubRequest,
  EnableSecurityHubV2Response,
  GetEnabledStandardsRequest,
  GetEnabledStandardsResponse,
} from '@aws-sdk/client-securityhub';

import { ApiError } from '../errors';
import { typed, type Handler } from '../service';
import { paginate } from '../util';
import { defaultStandards, type SecurityHubStore } from './store';

/** The hub handlers, keyed by operation name. */
export function hubHandlers(store: SecurityHubStore): Record<string, Handler> {
  return {
    EnableSecurityHub: typed<EnableSecurityHubRequest, object>((ctx, input) => {
      if (store.hubOf(ctx.accountId, ctx.region)) {
        throw new ApiError('ResourceConflictException', `Account ${ctx.accountId} is already subscribed to Security Hub`);
      }
      const hub = store.enableHub(ctx.accountId, ctx.region, ctx.now);
      if (input.ControlFindingGenerator) hub.controlFindingGenerator = input.ControlFindingGenerator;
      // "EnableDefaultStandards … By default, this parameter is set to true."
      if (input.EnableDefaultStandards !== false) for (const arn of defaultStandards(ctx.region)) hub.standards.add(arn);
      return {};
    }),

    GetEnabledStandards: typed<GetEnabledStandardsRequest, GetEnabledStandardsResponse>((ctx, input) => {
      const hub = store.requireHub(ctx.accountId, ctx.region);
      const all = [...hub.standards].map((arn) => ({
        StandardsSubscriptionArn: `arn:aws:securityhub:${ctx.region}:${ctx.accountId}:subscription/${arn.split('/').slice(1).join('/')}`,
        StandardsArn: arn,
        StandardsInput: {},
        StandardsStatus: 'READY' as const,
      }));
      const wanted = input.StandardsSubscriptionArns ? new Set(input.StandardsSubscriptionArns) : undefined;
      const page = paginate(
        all.filter((s) => !wanted || wanted.has(s.StandardsSubscriptionArn)),
        input.MaxResults,
        input.NextToken,
        10,
        'InvalidInputException',
      );
      return { StandardsSubscriptions: page.items, NextToken: page.nextToken };
    }),

    DescribeSecurityHubV2: typed<object, DescribeSecurityHubV2Response>((ctx) => {
      const hub = store.v2HubOf(ctx.accountId, ctx.region);
      if (!hub)
        throw new ApiError('ResourceNotFoundException', `Security Hub is not enabled for account ${ctx.accountId} in ${ctx.region}`);
      return { HubV2Arn: hub.arn, SubscribedAt: hub.subscribedAt };
    }),

    EnableSecurityHubV2: typed<object, EnableSecurityHubV2Response>((ctx) => ({
      HubV2Arn: store.enableV2Hub(ctx.accountId, ctx.region, ctx.now).arn,
    })),

    DescribeHub: typed<DescribeHubRequest, DescribeHubResponse>((ctx, input) => {
      const hub = store.requireHub(ctx.accountId, ctx.region);
      if (input.HubArn && input.HubArn !== hub.hubArn) {
        throw new ApiError('ResourceNotFoundException', `Hub ${input.HubArn} does not exist`);
      }
      return {
        HubArn: hub.hubArn,
        SubscribedAt: hub.subscribedAt,
        AutoEnableControls: hub.autoEnableControls,
        ControlFindingGenerator: hub.controlFindingGenerator,
      };
    }),

    DisableSecurityHub: typed<object, object>((ctx) => {
      store.requireHub(ctx.accountId, ctx.region);
      if (store.administratorOf(ctx.accountId, ctx.region)) {
        throw new ApiError(
          'InvalidInputException',
          `Account ${ctx.accountId} is a member account; disassociate it from its administrator first`,
        );
      }
      store.disableHub(ctx.accountId, ctx.region);
      return {};
    }),
  };
}

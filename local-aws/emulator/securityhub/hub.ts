/**
 * Security Hub subscription: EnableSecurityHub, DescribeHub, DisableSecurityHub.
 */
import type { DescribeHubRequest, DescribeHubResponse, EnableSecurityHubRequest } from '@aws-sdk/client-securityhub';

import { ApiError } from '../errors';
import { typed, type Handler } from '../service';
import type { SecurityHubStore } from './store';

/** The hub handlers, keyed by operation name. */
export function hubHandlers(store: SecurityHubStore): Record<string, Handler> {
  return {
    EnableSecurityHub: typed<EnableSecurityHubRequest, object>((ctx, input) => {
      if (store.hubOf(ctx.accountId, ctx.region)) {
        throw new ApiError('ResourceConflictException', `Account ${ctx.accountId} is already subscribed to Security Hub`);
      }
      const hub = store.enableHub(ctx.accountId, ctx.region, ctx.now);
      if (input.ControlFindingGenerator) hub.controlFindingGenerator = input.ControlFindingGenerator;
      return {};
    }),

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

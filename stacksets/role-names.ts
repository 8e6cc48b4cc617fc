import { DEFAULT_ROLE_NAME } from '../src/config/defaults';
import { DEFAULT_ADMIN_ROLE_NAME, DEFAULT_ENABLER_FUNCTION_ROLE_NAME, DEFAULT_RESPONDER_FUNCTION_ROLE_NAME } from '../src/config/defaults';

/**
 * Default names of cordon's IAM roles, in one place: the configuration's
 * defaults (the settings table, src/config/spec.ts) and the member role template's parameter
 * defaults (stacksets/member-role.ts) must agree.
 */
export const DEFAULT_ROLE_NAMES = {
  /** The member role in every account (`cordon:roleName`, the responder's CORDON_ROLE_NAME). */
  member: DEFAULT_ROLE_NAME,
  /** The responder Lambda's role in the security account (`cordon:functionRoleName`). */
  responderFunction: DEFAULT_RESPONDER_FUNCTION_ROLE_NAME,
  /** The role the enabler assumes in the security account (`cordon:enablerRoleName`, the enabler's CORDON_ADMIN_ROLE_NAME). */
  enablerAdmin: DEFAULT_ADMIN_ROLE_NAME,
  /** The enabler Lambda's role in the management account (`cordon:enablerFunctionRoleName`). */
  enablerFunction: DEFAULT_ENABLER_FUNCTION_ROLE_NAME,
} as const;

/**
 * `npx tsx stacksets/print-template.ts > member-role.json`: prints the member
 * role template (CloudFormation JSON) that the StackSet deploys, for accounts
 * a service-managed StackSet never reaches (the management account) or for
 * review. Its parameters are documented in the template and docs/deploy.md.
 */
import { memberRoleTemplate } from './member-role';

process.stdout.write(`${JSON.stringify(memberRoleTemplate(), null, 2)}\n`);

/**
 * `npx tsx scripts/runbook-schema.ts > docs/runbook.schema.json`: writes the
 * runbook format as a JSON Schema (a unit test checks the committed file is current).
 */
import { ACTION_CATALOGUE } from '../src/actions/registry';
import { runbookJsonSchema } from '../src/runbooks/json-schema';

process.stdout.write(`${JSON.stringify(runbookJsonSchema(ACTION_CATALOGUE), null, 2)}\n`);

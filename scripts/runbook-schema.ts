/**
 * `npx tsx scripts/runbook-schema.ts > docs/runbook.schema.json`: writes the
 * runbook format as a JSON Schema (a unit test checks the committed file is current).
 */
import { ACTIONS } from '../src/actions/registry';
import { runbookJsonSchema } from '../src/runbooks/json-schema';

process.stdout.write(`${JSON.stringify(runbookJsonSchema(ACTIONS), null, 2)}\n`);

import { z } from 'zod';
import type { ActionCatalogue } from './load';
import { runbookFileSchema } from './load';

/**
 * The runbook format as a JSON Schema (draft 2020-12), for editors and CI
 * outside cordon: the file's fields from `runbookFileSchema`, and each step's
 * `with` checked against its action's own parameters. What JSON Schema cannot
 * say (ordering rules, one runbook per finding type, custom action ids unique)
 * is still checked by `npx cordon runbooks validate`. docs/runbook.schema.json
 * is this, written by `npx tsx scripts/runbook-schema.ts`.
 */
export function runbookJsonSchema(catalogue: ActionCatalogue): Record<string, unknown> {
  const file = z.toJSONSchema(runbookFileSchema, { io: 'input' }) as Record<string, unknown> & { properties: Record<string, Record<string, unknown>> };
  const when = (file.properties.actions as { items: { properties: { when: unknown } } }).items.properties.when;
  const steps = [...catalogue.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, spec]) => {
      const { $schema: _schema, ...params } = z.toJSONSchema(spec.params as z.ZodType, { io: 'input' }) as Record<string, unknown>;
      return {
        type: 'object',
        properties: { action: { const: name }, with: params, when },
        required: ['action'],
        additionalProperties: false,
      };
    });
  return {
    ...file,
    title: 'cordon runbook',
    properties: { ...file.properties, actions: { type: 'array', minItems: 1, items: { oneOf: steps } } },
  };
}

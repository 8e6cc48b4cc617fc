import { z } from 'zod';
import { CONFIG_KEY_NAMES, DEPLOYMENT_SETTINGS, type DeploymentSetting } from './deployment-spec';
import { RESPONDER_SETTINGS } from './spec';

/**
 * cordon.config.json as a JSON Schema (draft 2020-12), derived from the
 * settings table's deployment part: one property per key (its canonical
 * form: numbers, booleans and arrays where a `-c` string would also do), and
 * the responder variables deployed by name. Rules across keys (one alarm
 * destination, distinct role names, the home region's topic) are still
 * checked by `cdk synth`. docs/cordon.config.schema.json is this, written by
 * `npm run docs:settings`; a config file may point to it with `"$schema"`.
 */
export function configFileJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    $schema: { type: 'string', description: 'the JSON Schema of this file (docs/cordon.config.schema.json), for editors' },
  };
  for (const key of CONFIG_KEY_NAMES) {
    const setting: DeploymentSetting<unknown> = DEPLOYMENT_SETTINGS[key];
    const parsedDefault = setting.default === undefined ? undefined : setting.schema.safeParse(setting.default);
    properties[key] = {
      ...jsonSchemaOf(setting.fileSchema ?? setting.schema),
      description: setting.placeholder ? `${setting.summary} (the default is an example: replace it)` : setting.summary,
      ...(parsedDefault?.success && parsedDefault.data !== undefined ? { default: parsedDefault.data } : {}),
    };
  }
  for (const setting of Object.values(RESPONDER_SETTINGS)) {
    if (setting.deployed !== 'by-name' || setting.env === undefined) continue;
    properties[setting.env] = {
      ...jsonSchemaOf(setting.schema),
      description: `${setting.summary} (the responder's ${setting.env})`,
      default: setting.default,
    };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'cordon deployment configuration (cordon.config.json)',
    description: 'Named by `-c cordon:configFile=cordon.config.json`; CDK context keys `cordon:<key>` win over it. See docs/deploy.md.',
    type: 'object',
    properties,
    additionalProperties: false,
  };
}

/** A schema's input form as JSON Schema, without its own `$schema`. */
function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _schema, ...json } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return json;
}

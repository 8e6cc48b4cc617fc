/**
 * `npm run docs:settings`: writes what the settings table documents —
 * README.md's Usage and Configuration sections and
 * docs/cordon.config.schema.json. test/unit/config/docs.test.ts fails when
 * either is stale.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configFileJsonSchema } from '../src/config/json-schema';
import { renderReadme } from './readme-sections';

const ROOT = path.resolve(__dirname, '..');
const README = path.join(ROOT, 'README.md');

fs.writeFileSync(README, renderReadme(fs.readFileSync(README, 'utf8')));
fs.writeFileSync(path.join(ROOT, 'docs/cordon.config.schema.json'), `${JSON.stringify(configFileJsonSchema(), null, 2)}\n`);
process.stdout.write('wrote README.md (usage, settings) and docs/cordon.config.schema.json\n');

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACTIONS } from '../../../src/actions/registry';
import { runbookJsonSchema } from '../../../src/runbooks/json-schema';

const ROOT = path.resolve(__dirname, '../../..');
const SCHEMA_FILE = path.join(ROOT, 'docs/runbook.schema.json');

/** Validates YAML texts against the schema with Python's jsonschema (installed with moto): one verdict per text. */
function validate(texts: readonly string[]): string[] {
  const script = [
    'import json, sys, yaml, jsonschema',
    'schema = json.load(open(sys.argv[1]))',
    'for text in json.load(sys.stdin):',
    '    try:',
    '        jsonschema.validate(yaml.safe_load(text), schema); print("valid")',
    '    except jsonschema.ValidationError as e:',
    '        print("invalid: " + e.message.splitlines()[0])',
  ].join('\n');
  return execFileSync('python3', ['-c', script, SCHEMA_FILE], { input: JSON.stringify(texts), encoding: 'utf8' }).trim().split('\n');
}

describe('docs/runbook.schema.json', () => {
  it('is the schema the code generates (regenerate: npx tsx scripts/runbook-schema.ts > docs/runbook.schema.json)', () => {
    // Assess
    expect(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'))).toEqual(runbookJsonSchema(ACTIONS));
  });

  it('accepts every shipped runbook and rejects an unknown action parameter and a bad reliability', () => {
    // Prepare
    const shipped = fs.readdirSync(path.join(ROOT, 'runbooks')).filter((n) => n.endsWith('.yaml')).map((n) => fs.readFileSync(path.join(ROOT, 'runbooks', n), 'utf8'));
    const base = 'name: a\ndescription: d\nfindingTypes: ["Backdoor:EC2/*"]\n';

    // Act
    const verdicts = validate([...shipped, `${base}actions:\n  - action: ec2.isolate\n    with: { cutTracked: true }\n`, `${base}reliability: 11\nactions:\n  - action: ec2.snapshot\n`]);

    // Assess
    expect(shipped.length).toBeGreaterThanOrEqual(6);
    expect(verdicts.slice(0, shipped.length)).toEqual(shipped.map(() => 'valid'));
    expect(verdicts.slice(shipped.length)).toEqual([expect.stringMatching(/^invalid: /), expect.stringMatching(/^invalid: 11 is greater than the maximum of 10/)]);
  });
});

import * as fs from 'node:fs';
import * as path from 'node:path';

import { ENABLER_CALLS, ENABLER_PERMISSIONS, UNGRANTED_CALLS } from '../../../src/org/permissions';

const ORG_DIR = path.resolve(__dirname, '../../../src/org');
const IAM_PREFIX: Record<string, string> = {
  '@aws-sdk/client-account': 'account',
  '@aws-sdk/client-guardduty': 'guardduty',
  '@aws-sdk/client-organizations': 'organizations',
  '@aws-sdk/client-securityhub': 'securityhub',
  '@aws-sdk/client-sts': 'sts',
};

/** IAM actions of every SDK command (and paginator) the code under src/org constructs. */
function actionsInSource(): Set<string> {
  const actions = new Set<string>();
  for (const file of fs.readdirSync(ORG_DIR).filter((f) => f.endsWith('.ts'))) {
    const text = fs.readFileSync(path.join(ORG_DIR, file), 'utf8');
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(@aws-sdk\/client-[a-z-]+)'/g)) {
      const prefix = IAM_PREFIX[m[2] ?? ''];
      if (!prefix) throw new Error(`${file}: SDK client ${m[2]} has no IAM prefix in this test`);
      for (const raw of (m[1] ?? '').split(',')) {
        const [original = '', local = original] = raw
          .trim()
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/);
        const used = new RegExp(`(new ${local}\\(|\\b${local}\\()`).test(text);
        if (!used) continue;
        const command = /^(\w+)Command$/.exec(original)?.[1];
        const paginated = /^paginate(\w+)$/.exec(original)?.[1];
        const operation = command ?? paginated;
        if (operation) actions.add(`${prefix}:${operation}`);
      }
    }
  }
  return actions;
}

describe('enabler permissions', () => {
  it('lists every AWS call the code makes, and nothing it does not make', () => {
    // Act
    const used = actionsInSource();
    const direct = new Set(ENABLER_CALLS.filter((c) => c.direct).map((c) => c.action));

    // Assess
    expect([...used].filter((a) => !direct.has(a) && !UNGRANTED_CALLS.includes(a)).sort()).toEqual([]);
    // AssumeRole is made by the shared credentials cache (src/aws/credentials.ts), not under src/org.
    expect([...direct].filter((a) => !used.has(a) && a !== 'sts:AssumeRole').sort()).toEqual([]);
  });

  it('grants the management account the designation and discovery actions, the security account the GuardDuty and Security Hub administration', () => {
    expect(ENABLER_PERMISSIONS.management).toEqual(
      expect.arrayContaining([
        'organizations:ListAccounts',
        'organizations:EnableAWSServiceAccess',
        'guardduty:EnableOrganizationAdminAccount',
        'securityhub:EnableOrganizationAdminAccount',
        'sts:AssumeRole',
        'account:ListRegions',
        'organizations:ListDelegatedAdministrators',
        'organizations:RegisterDelegatedAdministrator',
      ]),
    );
    expect(ENABLER_PERMISSIONS.management).not.toContain('guardduty:CreateMembers');
    expect(ENABLER_PERMISSIONS.admin).toEqual(
      expect.arrayContaining([
        'guardduty:CreateMembers',
        'guardduty:StartMonitoringMembers',
        'guardduty:UpdateMemberDetectors',
        'guardduty:UpdateOrganizationConfiguration',
        'securityhub:CreateFindingAggregator',
        'organizations:ListAccounts',
      ]),
    );
    expect(ENABLER_PERMISSIONS.admin).not.toContain('guardduty:EnableOrganizationAdminAccount');
    expect(ENABLER_PERMISSIONS.admin).not.toContain('organizations:RegisterDelegatedAdministrator');
    for (const list of [ENABLER_PERMISSIONS.management, ENABLER_PERMISSIONS.admin]) {
      expect([...list].sort()).toEqual(list);
      expect(new Set(list).size).toBe(list.length);
      for (const action of list) expect(action).toMatch(/^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$/);
    }
  });
});

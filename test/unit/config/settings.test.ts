import * as path from 'node:path';
import { DEFAULT_RUNBOOKS_DIR, responderSettings } from '../../../src/config/settings';
import { ConfigurationError, SettingsError } from '../../../src/errors';

/** The SettingsError `fn` throws. */
function settingsError(fn: () => unknown): SettingsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    expect(err).toBeInstanceOf(ConfigurationError);
    return err as SettingsError;
  }
  throw new Error('expected a SettingsError');
}

describe('responder settings (src/config/settings.ts)', () => {
  it('applies the defaults', () => {
    // Act
    const settings = responderSettings({});
    // Assess
    expect(settings).toMatchObject({
      roleName: 'cordon-responder',
      externalId: undefined,
      runbooksDir: DEFAULT_RUNBOOKS_DIR,
      threshold: 10,
      concurrency: 16,
      dryRun: false,
      exemptTag: { key: 'cordon:exempt', value: 'true' },
      audit: { kind: 'file', file: path.resolve('.cordon/audit.jsonl') },
      circuit: { perAccount: 5, perOrganization: 50, windowMinutes: 60 },
    });
    expect([...settings.exemptAccounts]).toEqual([]);
  });

  it('lets flags win over variables, and treats blank variables as unset', () => {
    // Act
    const settings = responderSettings(
      { CORDON_ROLE_NAME: 'from-env', CORDON_RUNBOOKS_DIR: ' ', CORDON_CONCURRENCY: '', CORDON_DRY_RUN: 'false' },
      { roleName: 'from-flag', dryRun: true },
    );
    // Assess
    expect(settings).toMatchObject({ roleName: 'from-flag', runbooksDir: DEFAULT_RUNBOOKS_DIR, concurrency: 16, dryRun: true });
  });

  it('reports every problem with its source, key and message, one line each', () => {
    // Act
    const error = settingsError(() =>
      responderSettings(
        { CORDON_EXTERNAL_ID: 'x', CORDON_CONCURRENCY: '0', CORDON_EXEMPT_ACCOUNTS: '111111111111,12345', CORDON_AUDIT_TABLE: 'audit' },
        { roleName: 'bad role' },
      ),
    );
    // Assess
    expect(error.problems).toEqual([
      {
        source: 'flag',
        key: '--role-name/CORDON_EXTERNAL_ID',
        message: 'role name "bad role" is not a valid IAM role name (1-64 of letters, digits and +=,.@_-)',
        settings: [{ responder: 'roleName' }, { responder: 'externalId' }],
      },
      {
        source: 'env',
        key: '--role-name/CORDON_EXTERNAL_ID',
        message: 'external id must be 2-1224 characters of letters, digits and +=,.@:/_-',
        settings: [{ responder: 'roleName' }, { responder: 'externalId' }],
      },
      {
        source: 'env',
        key: 'CORDON_CONCURRENCY',
        message: '"0" must be a whole number from 1 to 256',
        settings: [{ responder: 'concurrency' }],
      },
      {
        source: 'env',
        key: 'CORDON_EXEMPT_ACCOUNTS',
        message: '"12345" is not a 12-digit account id',
        settings: [{ responder: 'exemptAccounts' }],
      },
      {
        source: 'missing',
        key: 'AWS_REGION',
        message: "CORDON_AUDIT_TABLE is set but AWS_REGION is not: the table's region is unknown",
        standalone: true,
        settings: [{ responder: 'auditTable' }],
      },
    ]);
    expect(error.message.split('\n')).toEqual([
      '--role-name/CORDON_EXTERNAL_ID: role name "bad role" is not a valid IAM role name (1-64 of letters, digits and +=,.@_-)',
      '--role-name/CORDON_EXTERNAL_ID: external id must be 2-1224 characters of letters, digits and +=,.@:/_-',
      'CORDON_CONCURRENCY: "0" must be a whole number from 1 to 256',
      'CORDON_EXEMPT_ACCOUNTS: "12345" is not a 12-digit account id',
      "CORDON_AUDIT_TABLE is set but AWS_REGION is not: the table's region is unknown",
    ]);
  });

  it('reads the audit table with its region', () => {
    // Act
    const settings = responderSettings({ CORDON_AUDIT_TABLE: 'cordon-audit', AWS_DEFAULT_REGION: 'eu-west-1' });
    // Assess
    expect(settings.audit).toEqual({ kind: 'dynamodb', table: 'cordon-audit', region: 'eu-west-1' });
  });
});

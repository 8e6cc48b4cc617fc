import { RESPONDER_SETTINGS } from '../../../src/config/spec';
import { ConfigurationError } from '../../../src/errors';
import { COVERAGE_COMMAND } from '../../../src/cli/commands';
import { ENABLE_COMMAND } from '../../../src/cli/commands';
import { command, commandHelp, parseCommand, usageLine, withEnv } from '../../../src/cli/options';
import { RELEASE_COMMAND } from '../../../src/cli/commands';
import { RESPOND_COMMAND } from '../../../src/cli/commands';

describe('command options (src/cli/options.ts)', () => {
  it('parses settings with the flag they came from, and the command’s own options', () => {
    // Act
    const parsed = parseCommand(RELEASE_COMMAND, ['--finding', 'a', '--finding', 'b', '--dry-run', '--role-name', 'r']);
    // Assess
    expect(parsed.settings).toEqual({ dryRun: { value: 'true', source: '--dry-run' }, roleName: { value: 'r', source: '--role-name' } });
    expect(parsed.options).toEqual({ finding: ['a', 'b'], force: false, reactivateKeys: false, json: false });
    expect(parsed.help).toBe(false);
  });

  it('reads a negation, refuses it beside its switch, and refuses unknown flags', () => {
    // Act
    const off = parseCommand(ENABLE_COMMAND, ['--no-security-hub']);
    // Assess
    expect(off.settings.securityHub).toEqual({ value: 'false', source: '--no-security-hub' });
    expect(() => parseCommand(ENABLE_COMMAND, ['--security-hub', '--no-security-hub'])).toThrow(
      new ConfigurationError('enable: --security-hub and --no-security-hub contradict each other'),
    );
    expect(() => parseCommand(RESPOND_COMMAND, ['--force'])).toThrow(/^respond: Unknown option '--force'/);
    expect(() => parseCommand(COVERAGE_COMMAND, ['extra'])).toThrow(/^coverage: Unexpected argument 'extra'/);
  });

  it('takes the other settings from their variables (flags win)', () => {
    // Act
    const parsed = parseCommand(COVERAGE_COMMAND, ['--concurrency', '4']);
    const settings = withEnv(COVERAGE_COMMAND, parsed, { CORDON_CONCURRENCY: '9', CORDON_REGIONS: 'eu-west-1', CORDON_FEATURES: 's3' });
    // Assess: coverage's --features has no variable.
    expect(settings).toEqual({
      concurrency: { value: '4', source: '--concurrency' },
      regions: { value: 'eu-west-1', source: 'CORDON_REGIONS' },
    });
  });

  it('writes usage and help from the settings table', () => {
    // Act
    const help = commandHelp(RESPOND_COMMAND);
    // Assess
    expect(usageLine(RESPOND_COMMAND)).toBe(
      'npx cordon respond [FILE|-] [--dry-run] [--json] [--runbooks DIR] [--role-name NAME] [--stack NAME]',
    );
    expect(usageLine(RELEASE_COMMAND)).toMatch(/^npx cordon release --finding ID \[--finding ID…\] \[--dry-run\]/);
    expect(usageLine(ENABLE_COMMAND)).toMatch(/^npx cordon enable --admin-account ID \[--regions LIST\|all\]/);
    expect(help).toContain(
      `  --role-name NAME  member role to assume (${RESPONDER_SETTINGS.roleName.env}, default ${RESPONDER_SETTINGS.roleName.defaultText})\n`,
    );
    expect(help).toContain('  --dry-run         report what would be done (status "planned"); change nothing (or\n');
    expect(help.endsWith('Exit: 0 every finding handled, 1 some action failed, 2 bad input or configuration.')).toBe(true);
  });

  it('refuses a setting without a flag as an option', () => {
    // Assess
    expect(() => command({ name: 'x', summary: 's', options: { externalId: { setting: RESPONDER_SETTINGS.externalId } } })).toThrow(
      'x: option externalId is a setting without a flag',
    );
  });
});

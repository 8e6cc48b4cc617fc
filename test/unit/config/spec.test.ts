import { CONFIG_KEY_NAMES, configKeyOf, DEPLOYMENT_SETTINGS, runtimeSetting } from '../../../src/config/deployment-spec';
import { ENABLER_ENV, ENABLER_SETTINGS } from '../../../src/config/enabler-spec';
import { RESPONDER_ENV, RESPONDER_SETTINGS, type ResponderSettingId } from '../../../src/config/spec';
import { ACCOUNT_ID_PATTERN, REGION_PATTERN, ROLE_NAME_PATTERN } from '../../../src/config/schemas';

describe('the settings table (src/config/spec.ts)', () => {
  it('names each variable once per program', () => {
    // Assess
    expect(new Set(RESPONDER_ENV).size).toBe(RESPONDER_ENV.length);
    expect(new Set(ENABLER_ENV).size).toBe(ENABLER_ENV.length);
  });

  it('gives every responder variable exactly one way into the deployed Lambda: a key, its own name, or the stack', () => {
    // Act
    const ways = (Object.keys(RESPONDER_SETTINGS) as ResponderSettingId[]).map((id) => {
      const setting = RESPONDER_SETTINGS[id];
      const count = [configKeyOf({ responder: id }) !== undefined, setting.deployed === 'by-name', typeof setting.deployed === 'object'];
      return { id, ways: count.filter(Boolean).length };
    });
    // Assess
    expect(ways.filter((w) => w.ways !== 1)).toEqual([]);
  });

  it('lets a deployment key set only a setting that has a variable, and each setting from one key at most', () => {
    // Act
    const targets = CONFIG_KEY_NAMES.flatMap((key) => {
      const sets = DEPLOYMENT_SETTINGS[key].sets;
      return sets === undefined ? [] : [{ key, env: runtimeSetting(sets).env, target: JSON.stringify(sets) }];
    });
    // Assess
    expect(targets.filter((t) => t.env === undefined)).toEqual([]);
    expect(new Set(targets.map((t) => t.target)).size).toBe(targets.length);
  });

  it("accepts every deployment key's own default (placeholders included)", () => {
    // Act
    const rejected = CONFIG_KEY_NAMES.filter((key) => !DEPLOYMENT_SETTINGS[key].schema.safeParse(DEPLOYMENT_SETTINGS[key].default).success);
    // Assess
    expect(rejected).toEqual([]);
  });

  it('reads the documented defaults when nothing is given', () => {
    // Assess
    expect(RESPONDER_SETTINGS.concurrency.defaultText).toBe(String(RESPONDER_SETTINGS.concurrency.default));
    expect(ENABLER_SETTINGS.concurrency.defaultText).toBe(String(ENABLER_SETTINGS.concurrency.default));
    expect(ENABLER_SETTINGS.features.defaultText).toBe(ENABLER_SETTINGS.features.default.map((p) => p.key).join(','));
  });

  it.each([
    ['us-east-1', true],
    ['ap-southeast-7', true],
    ['us-gov-west-1', true],
    ['eu-isoe-west-1', true],
    ['mars-north-1x', false],
    ['us-east', false],
    ['US-EAST-1', false],
  ])('has one region pattern: %s → %s', (region, valid) => {
    // Assess
    expect(REGION_PATTERN.test(region)).toBe(valid);
  });

  it('has one account id and one role name pattern', () => {
    // Assess
    expect(['123456789012', '12345678901', '1234567890123', '12345678901a'].map((a) => ACCOUNT_ID_PATTERN.test(a))).toEqual([
      true,
      false,
      false,
      false,
    ]);
    expect(['cordon-responder', 'a+=,.@_-', 'x'.repeat(64), 'x'.repeat(65), 'no spaces', ''].map((r) => ROLE_NAME_PATTERN.test(r))).toEqual(
      [true, true, true, false, false, false],
    );
  });
});

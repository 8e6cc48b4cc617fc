import { instanceScope, revocationCutoff, revocationStatement, type RevocationScope } from '../../../src/actions/iam/revocation-policy';

const cutoff = new Date('2026-11-24T10:00:00.000Z');
const instance = instanceScope('AROAEXAMPLEROLEID1', 'i-0123456789abcdef0');
const role: RevocationScope = { kind: 'role' };
/** A statement as IAM hands it back: parsed JSON. */
const asRead = (statement: object): Record<string, unknown> => JSON.parse(JSON.stringify(statement)) as Record<string, unknown>;

describe('revocationCutoff: only the statement cordon writes counts as a revocation in place', () => {
  it('reads the cut-off of the statement cordon writes, for an instance and for the role', () => {
    expect(revocationCutoff(asRead(revocationStatement(instance, cutoff)), instance)).toEqual(cutoff);
    expect(revocationCutoff(asRead(revocationStatement(role, cutoff)), role)).toEqual(cutoff);
  });

  it.each([
    ['allows instead of denying', { Effect: 'Allow' }],
    ['denies one action only', { Action: 's3:GetObject' }],
    ['denies on one resource only', { Resource: 'arn:aws:s3:::bucket/*' }],
  ])('refuses a statement with cordon’s Sid and cut-off that %s', (_why, change) => {
    expect(revocationCutoff(asRead({ ...revocationStatement(instance, cutoff), ...change }), instance)).toBeUndefined();
  });

  it('refuses a statement whose condition names another session, or adds a condition that narrows it', () => {
    const written = revocationStatement(instance, cutoff);
    const otherSession = {
      ...written,
      Condition: { ...written.Condition, StringEquals: { 'aws:userid': 'AROAEXAMPLEROLEID1:i-0aaaaaaaaaaaaaaaa' } },
    };
    const narrowed = { ...written, Condition: { ...written.Condition, IpAddress: { 'aws:SourceIp': '192.0.2.1/32' } } };
    expect(revocationCutoff(asRead(otherSession), instance)).toBeUndefined();
    expect(revocationCutoff(asRead(narrowed), instance)).toBeUndefined();
    // An instance's statement does not count as the role's, nor the reverse.
    expect(revocationCutoff(asRead(written), role)).toBeUndefined();
    expect(revocationCutoff(asRead(revocationStatement(role, cutoff)), instance)).toBeUndefined();
  });
});

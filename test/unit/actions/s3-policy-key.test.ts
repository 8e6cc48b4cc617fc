import { policyKey } from '../../../src/actions/s3/deny-object-read';

/**
 * An uploader chooses the key of a malicious object. In a policy's Resource, `*` and `?` are wildcards and `${…}` a
 * policy variable ("IAM policy elements: Variables and tags", IAM User Guide): written raw, a key like
 * `x${aws:username}` would deny some other object, and the one GuardDuty found would stay readable.
 */
describe('the object key in cordon deny statement', () => {
  it('writes IAM special characters so that they mean themselves', () => {
    // Assess
    expect(policyKey('in/invoice.pdf.exe')).toBe('in/invoice.pdf.exe');
    expect(policyKey('x${aws:username}')).toBe('x${$}{aws:username}');
    expect(policyKey('a*b?c')).toBe('a${*}b${?}c');
  });
});

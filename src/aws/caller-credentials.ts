import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { ConfigurationError, describeError } from '../errors';

/**
 * Resolves the caller's credentials (the security account's for respond and
 * release, the management account's for enable) through the SDK's default chain (the
 * same chain every client uses: environment, AWS_PROFILE, SSO, container,
 * instance metadata) before anything runs, so that a machine without
 * credentials, or a profile that does not exist, is reported as a
 * configuration problem (exit 2) rather than as a failure of every action.
 * Makes no AWS API call beyond what the chain itself needs.
 */
export async function requireCallerCredentials(): Promise<void> {
  try {
    const credentials = await defaultProvider()();
    if (!credentials.accessKeyId) throw new Error('the credential chain returned no access key');
  } catch (err) {
    throw new ConfigurationError(
      `no usable AWS credentials (${describeError(err)}); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run where a role is available`,
      { cause: err },
    );
  }
}

import { startLocalAws, type LocalAws, LOCAL_CREDENTIALS, pointSdkAt, type StartLocalAwsOptions } from '../../local-aws';

/** Fake credentials of the security account (moto's default account). */
export const HOME_CREDENTIALS = LOCAL_CREDENTIALS;

/**
 * Starts moto_server + the emulator for one test file and points the SDK at
 * it the way users do: AWS_ENDPOINT_URL and the default credential chain.
 */
export async function startLocal(options: Pick<StartLocalAwsOptions, 'awsManagedPolicies'> = {}): Promise<LocalAws> {
  const local = await startLocalAws(options);
  pointSdkAt(local.endpoint);
  return local;
}

/**
 * Credentials of moto's default account (123456789012): the account a local
 * organization is created from, which the demo, the tests and the benchmarks
 * use as the security (or management) account.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

/**
 * Points the AWS SDK at a local endpoint the way users point it anywhere:
 * AWS_ENDPOINT_URL, the default credential chain from the environment
 * (LOCAL_CREDENTIALS, no profile, no session token) and AWS_REGION.
 */
export function pointSdkAt(endpoint: string, env: NodeJS.ProcessEnv = process.env, region = 'us-east-1'): void {
  env.AWS_ENDPOINT_URL = endpoint;
  env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
  env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
  env.AWS_REGION = region;
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
}

import { startLocalAws, type LocalAws } from '../../src/emulator/local-aws';

/** Fake credentials of the security account (moto's default account). */
export const HOME_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/**
 * Starts moto_server + the emulator for one test file and points the SDK at
 * it the way users do: AWS_ENDPOINT_URL and the default credential chain.
 */
export async function startLocal(): Promise<LocalAws> {
  const local = await startLocalAws();
  process.env.AWS_ENDPOINT_URL = local.endpoint;
  process.env.AWS_ACCESS_KEY_ID = HOME_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = HOME_CREDENTIALS.secretAccessKey;
  process.env.AWS_REGION = 'us-east-1';
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  return local;
}

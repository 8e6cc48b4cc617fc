/**
 * One local HTTP endpoint that behaves like AWS for the SDK v3: set
 * `AWS_ENDPOINT_URL=<endpoint>` (or pass `endpoint`) and unchanged code
 * talks to moto_server for everything moto implements and to cordon's
 * emulator for GuardDuty, Security Hub and the Account API's region
 * opt-in operations.
 *
 * @example
 * const local = await startLocalAws();
 * const gd = new GuardDutyClient({ endpoint: local.endpoint, region: 'us-east-1',
 *   credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
 * // …
 * await local.stop();
 */
import { AwsEmulator } from './emulator/emulator';
import { locateBotocore } from './emulator/model';
import { startMotoShards, type MotoShards } from './emulator/moto-shards';
import { MotoClient } from './emulator/moto-client';
import { LocalRouter } from './emulator/router';
import type { ListObjectReader } from './emulator/guardduty/threat-lists';

export { MotoMissingError, MotoStartError } from './emulator/errors';

/** A running local AWS: the endpoint, moto behind it, and the emulator's state. */
export interface LocalAws {
  /** The endpoint to give the SDK (`http://127.0.0.1:<port>`). */
  readonly endpoint: string;
  /** moto_server's own endpoint (tests rarely need it; everything works through `endpoint`). */
  readonly motoEndpoint: string;
  /** The in-process emulator: seeding helpers and the call log. */
  readonly emulator: AwsEmulator;
  /** The moto_server processes behind `motoEndpoint` (one unless `motoShards` asked for more), and which owns an account. */
  readonly moto: Pick<MotoShards, 'shards' | 'shardOf' | 'requestsByShard'>;
  /** Close the endpoint, kill moto_server and wait for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startLocalAws}. */
export interface StartLocalAwsOptions {
  /**
   * Port of the endpoint on 127.0.0.1.
   * @default 0 (a free port)
   */
  readonly port?: number;
  /**
   * Receives moto's output and the endpoint's diagnostics, one line at a time.
   * @default discard
   */
  readonly log?: (line: string) => void;
  /**
   * Every account has the AWS managed IAM policies, as in AWS (cordon attaches AWSDenyAll). Turn off only
   * where none is attached and many accounts are built (moto builds them for each account it looks at).
   * @default true
   */
  readonly awsManagedPolicies?: boolean;
  /**
   * moto_server processes, each owning a share of the accounts behind one
   * router (see moto-shards.ts): for organizations of hundreds of accounts,
   * which one moto process (one core) cannot serve at speed.
   * @default 1
   */
  readonly motoShards?: number;
}

/** GuardDuty's reads of list objects, from moto's S3: as the caller (entity lists) or as the account (IP lists, its service-linked role). */
function motoListObjects(moto: MotoClient): ListObjectReader {
  return {
    async read(bucket, objectKey, as) {
      const key = as.accessKeyId ?? (await moto.keyForAccount(as.accountId));
      const answer = await moto.s3Get(key, `/${bucket}/${objectKey.split('/').map(encodeURIComponent).join('/')}`);
      if (answer.status !== 200) return { found: false, reason: /<Code>([^<]+)<\/Code>/.exec(answer.body)?.[1] ?? `HTTP ${answer.status}` };
      return { found: true, body: answer.body, bytes: Buffer.byteLength(answer.body) };
    },
    async owns(accountId, bucket) {
      const answer = await moto.s3Get(await moto.keyForAccount(accountId), '/');
      return answer.status === 200 && answer.body.includes(`<Name>${bucket}</Name>`);
    },
  };
}

/**
 * Start moto_server on a free loopback port (or several, `motoShards`), the
 * emulator, and the endpoint in front of both. Throws MotoMissingError (whose message holds the
 * install command) when moto is not installed, and MotoStartError when it
 * does not answer within 20 s.
 */
export async function startLocalAws(options: StartLocalAwsOptions = {}): Promise<LocalAws> {
  const log = options.log ?? ((): void => undefined);
  // botocore is located first: a missing python3/botocore reports
  // MotoMissingError before any process is spawned.
  const botocoreDir = locateBotocore();
  const moto = await startMotoShards(log, { shards: options.motoShards, awsManagedPolicies: options.awsManagedPolicies });
  const motoClient = new MotoClient(moto.endpoint);
  let emulator: AwsEmulator;
  try {
    emulator = new AwsEmulator({
      botocoreDir,
      organizations: (accessKeyId) => motoClient.organizationOf(accessKeyId),
      delegation: {
        register: (key, accountId, principal) => motoClient.registerDelegatedAdministrator(key, accountId, principal),
        deregister: (key, accountId, principal) => motoClient.deregisterDelegatedAdministrator(key, accountId, principal),
        administrators: (key, principal) => motoClient.delegatedAdministrators(key, principal),
        trustedServices: (key) => motoClient.trustedServices(key),
        describeAccount: (key, accountId) => motoClient.describeAccount(key, accountId),
      },
      listObjects: motoListObjects(motoClient),
      vpcs: async (caller, region, vpcId) => {
        const answer = await motoClient.query(caller.accessKeyId, 'ec2', region, {
          Action: 'DescribeVpcs',
          Version: '2016-11-15',
          'VpcId.1': vpcId,
        });
        return answer.status === 200 && answer.body.includes(`<vpcId>${vpcId}</vpcId>`);
      },
      eksClusters: (key, region, clusterName) => motoClient.clusterExists(key, region, clusterName),
    });
  } catch (err) {
    motoClient.close();
    await moto.stop();
    throw err;
  }
  const router = new LocalRouter(moto.endpoint, motoClient, emulator, log);
  let endpoint: string;
  try {
    endpoint = await router.listen(options.port ?? 0);
  } catch (err) {
    motoClient.close();
    await moto.stop();
    throw err;
  }
  log(`local AWS endpoint ${endpoint} (moto ${moto.endpoint})`);
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    motoEndpoint: moto.endpoint,
    emulator,
    moto: { shards: moto.shards, shardOf: (accountId) => moto.shardOf(accountId), requestsByShard: () => moto.requestsByShard() },
    stop: () => {
      stopped ??= (async (): Promise<void> => {
        await router.close();
        motoClient.close();
        await moto.stop();
      })();
      return stopped;
    },
  };
}

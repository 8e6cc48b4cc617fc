import * as http from 'node:http';
import * as https from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { quotaRefusalsAreFinal } from './iam-quota';

/** Settings shared by every SDK client cordon builds. */
export interface ClientFactoryOptions {
  /**
   * Credentials for a member account, by (account, region). Clients for the
   * caller's own account ("home") use the SDK's default credential chain.
   */
  readonly memberCredentials?: (accountId: string, region: string) => AwsCredentialIdentityProvider;
  /**
   * Maximum sockets per host on the shared request handler; size it to the fan-out.
   * @default 64
   */
  readonly maxSockets?: number;
  /**
   * Attempts per call, including the first, for the SDK's standard retry strategy
   * (which backs off on throttling errors such as RequestLimitExceeded).
   * @default `AWS_MAX_ATTEMPTS` if set (the SDK's own convention), else 8
   */
  readonly maxAttempts?: number;
}

/** Constructor of an AWS SDK v3 client. */
export type ClientConstructor<C> = new (config: Record<string, unknown>) => C;

/**
 * One SDK client per (service, account, region), reused for the life of the
 * process, all sharing one request handler. Endpoints follow the SDK's own
 * conventions (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`), so tests and
 * the local emulator need nothing special here.
 */
export class ClientFactory {
  private readonly clients = new Map<string, unknown>();
  private readonly requestHandler: NodeHttpHandler;
  private readonly maxAttempts: number;

  public constructor(private readonly options: ClientFactoryOptions = {}) {
    const maxSockets = options.maxSockets ?? 64;
    if (!Number.isInteger(maxSockets) || maxSockets < 1) {
      throw new RangeError(`maxSockets must be a positive integer, got ${String(maxSockets)}`);
    }
    this.maxAttempts = options.maxAttempts ?? positiveInt(process.env.AWS_MAX_ATTEMPTS) ?? 8;
    this.requestHandler = new NodeHttpHandler({
      httpAgent: new http.Agent({ keepAlive: true, maxSockets }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets }),
      connectionTimeout: 5_000,
      requestTimeout: 30_000,
    });
  }

  /** A client in the caller's own account (the security account, or the management account for `enable`). */
  public home<C>(ctor: ClientConstructor<C>, region: string): C {
    return this.get(ctor, 'home', region, undefined);
  }

  /** A client acting in a member account through the assumed member role. */
  public member<C>(ctor: ClientConstructor<C>, accountId: string, region: string): C {
    const provider = this.options.memberCredentials;
    if (!provider) {
      throw new Error('ClientFactory has no memberCredentials: it can only build clients for the home account');
    }
    return this.get(ctor, accountId, region, provider(accountId, region));
  }

  /** Closes the shared sockets so that the process can exit. */
  public destroy(): void {
    this.requestHandler.destroy();
    this.clients.clear();
  }

  private get<C>(ctor: ClientConstructor<C>, account: string, region: string, credentials: AwsCredentialIdentityProvider | undefined): C {
    const key = `${ctor.name}|${account}|${region}`;
    let client = this.clients.get(key) as C | undefined;
    if (!client) {
      const config: Record<string, unknown> = {
        region,
        requestHandler: this.requestHandler,
        maxAttempts: this.maxAttempts,
        retryMode: 'standard',
      };
      if (credentials) config.credentials = credentials;
      // S3 virtual-host addressing cannot work against a custom endpoint such as
      // a local emulator on 127.0.0.1, so path style is used only there.
      if (ctor.name === 'S3Client' && (process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL)) {
        config.forcePathStyle = true;
      }
      client = new ctor(config);
      if (ctor.name === 'IAMClient') quotaRefusalsAreFinal(client as Parameters<typeof quotaRefusalsAreFinal>[0]);
      this.clients.set(key, client);
    }
    return client;
  }
}

function positiveInt(text: string | undefined): number | undefined {
  const n = Number(text);
  return text && Number.isInteger(n) && n > 0 ? n : undefined;
}

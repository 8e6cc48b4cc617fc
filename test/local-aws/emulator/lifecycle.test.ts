import { execFileSync } from 'node:child_process';

import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

import { startLocalAws } from '../../../local-aws/start';
import { clientConfig } from './helpers';

/** PIDs of moto_server processes listening on `port` (by their command line). */
function motoPids(port: string): string[] {
  try {
    const out = execFileSync('pgrep', ['-f', `moto_server.*-p ${port}`], { encoding: 'utf8' });
    return out.split('\n').filter((l) => l.trim() !== '');
  } catch {
    // pgrep exits 1 when nothing matches.
    return [];
  }
}

describe('startLocalAws lifecycle', () => {
  it('starts moto on a free port, answers through the endpoint, and stop() leaves no moto process', async () => {
    // Prepare
    const local = await startLocalAws();
    const port = new URL(local.motoEndpoint).port;
    try {
      // Act
      const identity = await new STSClient(clientConfig(local)).send(new GetCallerIdentityCommand({}));

      // Assess
      expect(identity.Account).toBe('123456789012');
      expect(motoPids(port).length).toBeGreaterThan(0);
    } finally {
      await local.stop();
    }
    expect(motoPids(port)).toEqual([]);
    // stop() is idempotent.
    await expect(local.stop()).resolves.toBeUndefined();
  });
});

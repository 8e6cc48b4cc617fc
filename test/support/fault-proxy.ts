import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A canned answer in place of the real service's. */
export interface Fault {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
}

/** Decides, per request, whether to answer with a fault; undefined forwards it. */
export type FaultRule = (request: { readonly path: string; readonly body: string; readonly authorization: string }) => Fault | undefined;

/**
 * A loopback HTTP proxy in front of the local AWS endpoint that answers some
 * requests with AWS's own error shapes (AccessDenied, RequestLimitExceeded…),
 * so the real SDK sees real wire errors. Point one service at it with
 * `AWS_ENDPOINT_URL_<SERVICE>`.
 */
export async function startFaultProxy(target: string, rule: FaultRule): Promise<{ endpoint: string; faults: () => number; stop: () => Promise<void> }> {
  let faults = 0;
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const fault = rule({ path: req.url ?? '/', body: body.toString('utf8'), authorization: String(req.headers.authorization ?? '') });
      if (fault) {
        faults += 1;
        res.writeHead(fault.status, { 'content-type': fault.contentType ?? 'text/xml' });
        res.end(fault.body);
        return;
      }
      const forward = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    faults: () => faults,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** STS's AccessDenied for AssumeRole, as AWS sends it. */
export function stsAccessDenied(roleArn: string): Fault {
  return {
    status: 403,
    body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/cordon/x is not authorized to perform: sts:AssumeRole on resource: ${roleArn}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
  };
}

/** EC2's throttling error, as AWS sends it. */
export const EC2_THROTTLED: Fault = {
  status: 503,
  body: '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>00000000-0000-0000-0000-000000000000</RequestID></Response>',
};

/** The SigV4 credential scope of a request: read by the local endpoint and the fault proxy alike. */
export interface CredentialScope {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
}

/** Read the credential scope from an Authorization header or presigned query. */
export function credentialScope(authorization: string | undefined, query: URLSearchParams): CredentialScope | undefined {
  const fromHeader = authorization ? /Credential=([^,\s]+)/.exec(authorization)?.[1] : undefined;
  const credential = fromHeader ?? query.get('X-Amz-Credential') ?? undefined;
  if (!credential) return undefined;
  const [accessKeyId, , region, service] = credential.split('/');
  if (!accessKeyId || !region || !service) return undefined;
  return { accessKeyId, region, service };
}

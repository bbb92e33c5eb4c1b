/**
 * An independent SigV4 verifier for the local EC2 and SSM servers (node crypto only, written from the AWS
 * "Create a signed AWS API request" steps, sharing no code with the handler's signer). Usage:
 *   const { region } = verifySigV4(req, 'ssm');   // throws SignatureError with the reason when the request is not
 *                                                 // signed for `service` with a known key
 * The keys it knows are those the tests put in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY ('test'/'test' and
 * 'AKIDEXAMPLE'); add more with KNOWN_KEYS.set(id, secret).
 */
import { createHash, createHmac } from 'crypto';
import type { IncomingHttpHeaders } from 'http';

export const KNOWN_KEYS = new Map<string, string>([['test', 'test'], ['AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY']]);

export interface SignedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
}

export class SignatureError extends Error {}

export interface Verified {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: string[];
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;
const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s, 'utf8').digest();

/** The Region of a request's SigV4 credential scope, read without verifying the signature; undefined when unsigned. */
export function signingRegion(req: { readonly headers: IncomingHttpHeaders }): string | undefined {
  return AUTH.exec(String(req.headers.authorization ?? ''))?.[3];
}

export function verifySigV4(req: SignedRequest, service: string): Verified {
  const auth = String(req.headers.authorization ?? '');
  const m = AUTH.exec(auth);
  if (!m) throw new SignatureError(`Authorization header is not SigV4: ${auth || '(none)'}`);
  const [, accessKeyId, date, region, scopeService, signedHeaderList, signature] = m;
  if (scopeService !== service) throw new SignatureError(`signed for service ${scopeService}, expected ${service}`);
  const secret = KNOWN_KEYS.get(accessKeyId);
  if (secret === undefined) throw new SignatureError(`unknown access key ${accessKeyId}`);
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || !amzDate.startsWith(date)) throw new SignatureError(`x-amz-date ${amzDate} does not match the scope date ${date}`);
  const signedHeaders = signedHeaderList.split(';');
  const mustSign = ['host', 'x-amz-date', ...Object.keys(req.headers).filter((h) => h === 'content-type' || h.startsWith('x-amz-'))];
  for (const h of mustSign) if (!signedHeaders.includes(h)) throw new SignatureError(`header ${h} is not signed`);
  if ([...signedHeaders].sort().join(';') !== signedHeaderList) throw new SignatureError('SignedHeaders are not sorted');

  const canonicalHeaders = signedHeaders.map((h) => {
    const v = req.headers[h];
    if (v === undefined) throw new SignatureError(`signed header ${h} is missing`);
    return `${h}:${String(v).trim().replace(/\s+/g, ' ')}\n`;
  }).join('');
  const canonicalQuery = Object.entries(req.query).map(([k, v]) => `${enc(k)}=${enc(v)}`).sort().join('&');
  // The canonical URI encodes each segment of the (already encoded) path once more, for every service but S3: a
  // Lambda function ARN in the path is sent as `arn%3Aaws...` and signed as `arn%253Aaws...`.
  const canonicalUri = req.path.split('/').map(enc).join('/');
  const canonicalRequest = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaderList, sha256(req.rawBody)].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  if (expected !== signature) throw new SignatureError('The request signature we calculated does not match the signature you provided');
  return { accessKeyId, region, service, signedHeaders };
}

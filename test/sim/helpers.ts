import https from 'node:https';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';

export const paymentsFleet = resolve(__dirname, '../../examples/fleets/payments.yaml');
export const SUB = '00000000-0000-0000-0000-000000000001';

export const credential: TokenCredential = {
  getToken: async () => ({ token: 'simulator-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

export function fixturesDir(): string | undefined {
  const dir = process.env.RINGMASTER_AZURE_FIXTURES ?? resolve(__dirname, '../../../shared/azure-fixtures');
  return existsSync(dir) ? dir : undefined;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** A plain HTTPS request to the simulator, trusting its CA. */
export function request(url: string, ca: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}, agent?: https.Agent): Promise<RawResponse> {
  return new Promise((resolvePromise, reject) => {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = https.request(
      url,
      {
        method,
        ca,
        agent,
        headers: {
          authorization: 'Bearer t',
          ...(text !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } : {}),
          ...headers,
        },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const t = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = t ? JSON.parse(t) : undefined;
          } catch {
            json = undefined;
          }
          resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, text: t, json });
        });
      },
    );
    req.on('error', reject);
    if (text !== undefined) req.write(text);
    req.end();
  });
}

/**
 * Azure credentials and TLS trust for the ARM clients.
 *
 * - In Azure and on a developer machine: `DefaultAzureCredential` (managed identity, then developer sign-in).
 * - Against the simulator only: a static bearer token. It is refused for any endpoint whose host is not a loopback
 *   address, so a misconfigured `RINGMASTER_ARM_ENDPOINT` can never send a fake token to a real service.
 *
 * TLS trust for the simulator's self-signed CA is in-process, per client, never global: the modular SDKs
 * (`@azure/arm-compute` 24, `@azure/arm-imagebuilder` 5, `@azure/eventgrid` 5) and `@azure/arm-monitor` 7 accept
 * pipeline option `tlsOptions: { ca }` (core-rest-pipeline's `tlsPolicy`, which its node HTTP client turns into a
 * dedicated `https.Agent`); the older `@azure/arm-resourcegraph` 4 (ms-rest-js) accepts `agentSettings.https`, an
 * `https.Agent({ ca })`. We pass Node's root store plus the extra CA, so public endpoints stay trusted too.
 * `NODE_EXTRA_CA_CERTS` also works but applies to the whole process and only at start-up.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { DefaultAzureCredential } from '@azure/identity';

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/** A fixed bearer token, for the loopback simulator only. Throws for any other endpoint. */
export function loopbackTokenCredential(endpoint: string, token = 'ringmaster-simulator-token'): TokenCredential {
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    throw new Error(`static token credential: ${endpoint} is not a URL`);
  }
  if (!isLoopbackHost(host)) {
    throw new Error(
      `static token credential refused for ${endpoint}: only loopback endpoints (127.0.0.1, ::1, localhost) may use it; use DefaultAzureCredential`,
    );
  }
  return {
    async getToken(): Promise<AccessToken> {
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

/** `DefaultAzureCredential` for Azure endpoints, the static token for a loopback endpoint. */
export function createArmCredential(armEndpoint: string): TokenCredential {
  return isLoopbackHost(new URL(armEndpoint).hostname)
    ? loopbackTokenCredential(armEndpoint)
    : new DefaultAzureCredential();
}

/** Node's public roots plus the extra PEM(s), for `tlsOptions.ca` / `https.Agent({ ca })`. */
export function trustedCas(extraPem: string | undefined, endpoint?: string): string[] | undefined {
  if (extraPem === undefined) return undefined;
  // A loopback endpoint (the simulator) needs only its own CA. Building a TLS context from ~140 public
  // roots on every new connection cost half the CPU of a large rehearsal.
  if (endpoint !== undefined && isLoopbackHost(new URL(endpoint).hostname)) return [extraPem];
  return [...rootCertificates, extraPem];
}

/** Reads `RINGMASTER_ARM_CA_FILE` once. */
export function readCaFile(path: string | undefined): string | undefined {
  return path === undefined ? undefined : readFileSync(path, 'utf8');
}

/**
 * A loopback webhook sink for notification tests: records what was posted (JSON, or a form as the Slack Web API
 * client sends it, decoded to its fields) and answers as told (status, headers, delay, or hang). HTTPS with a
 * throwaway self-signed certificate made by `openssl` when it is available, otherwise plain HTTP (which the URL
 * policy allows only with `allowLoopback`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Captured {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface SinkReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait before answering. */
  delayMs?: number;
  /** Never answer. */
  hang?: boolean;
}

export interface Sink {
  url: string;
  ca?: string;
  received: Captured[];
  close(): Promise<void>;
}

let cached: { key: string; cert: string } | null | undefined;

/** A self-signed certificate for 127.0.0.1, or null when openssl is missing. */
export function selfSignedCert(): { key: string; cert: string } | null {
  if (cached !== undefined) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'rm-sink-'));
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    cached = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch {
    cached = null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return cached;
}

/** `plain: true` serves plain HTTP even when openssl is there (for code that takes no extra CA, such as `buildDeps`). */
export async function startSink(reply: (n: number) => SinkReply = () => ({ status: 200, body: 'ok' }), options: { plain?: boolean } = {}): Promise<Sink> {
  const received: Captured[] = [];
  const tls = options.plain ? null : selfSignedCert();
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      if (/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) body = Object.fromEntries(new URLSearchParams(text));
      else {
        try {
          body = JSON.parse(text);
        } catch {
          /* keep text */
        }
      }
      received.push({ path: req.url ?? '', headers: req.headers, body });
      const r = reply(received.length);
      if (r.hang) return;
      setTimeout(() => {
        res.writeHead(r.status, r.headers ?? {});
        res.end(r.body ?? '');
      }, r.delayMs ?? 0);
    });
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const sink: Sink = {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/workflows/hook`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  if (tls) sink.ca = tls.cert;
  return sink;
}

// The simulator's certificate: a local CA and a server certificate for localhost / 127.0.0.1 signed by it,
// written to the state directory (reused when present). Made with the system's openssl.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';

export interface SimCertificate {
  caPem: string;
  caPath: string;
  certPem: string;
  keyPem: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') {
      throw new Error(
        'ringmaster sim needs the openssl command to create its self-signed certificate, and it was not found on PATH. ' +
          'Install it (Debian/Ubuntu: apt-get install openssl) or put ca.pem, server.pem and server.key in the state directory.',
      );
    }
    throw new Error(`openssl ${args[0] ?? ''} failed: ${err.stderr?.toString() ?? err.message}`);
  }
}

function stillValid(certPem: string, caPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    return cert.checkIssued(ca) && Date.parse(cert.validTo) > Date.now() + 86_400_000 && (cert.subjectAltName ?? '').includes('127.0.0.1');
  } catch {
    return false;
  }
}

export function ensureCertificate(stateDir: string): SimCertificate {
  const caPath = join(stateDir, 'ca.pem');
  const certPath = join(stateDir, 'server.pem');
  const keyPath = join(stateDir, 'server.key');
  if (existsSync(caPath) && existsSync(certPath) && existsSync(keyPath)) {
    const caPem = readFileSync(caPath, 'utf8');
    const certPem = readFileSync(certPath, 'utf8');
    if (stillValid(certPem, caPem)) return { caPem, caPath, certPem, keyPem: readFileSync(keyPath, 'utf8') };
  }
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650', '-subj', '/CN=Ringmaster Simulator Local CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    stateDir,
  );
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], stateDir);
  writeFileSync(
    join(stateDir, 'server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  const serial = `0x${Date.now().toString(16)}`;
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', serial, '-out', 'server.pem', '-days', '825', '-extfile', 'server.ext'], stateDir);
  return { caPem: readFileSync(caPath, 'utf8'), caPath, certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
}

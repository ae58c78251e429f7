/**
 * Azurite (Table storage) for the local runtime and the tests: started as a child process on a free
 * loopback port, in memory, offline. The account is Azurite's well-known development account.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Azurite's published development account (not a secret: it is the same for every Azurite). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  connectionString: string;
  port: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts azurite-table; resolves once it listens (about a second). In memory by default; with `location`,
 * persisted there (so `serve`'s ledger survives a restart as its durable history does).
 */
export async function startAzurite(projectRoot = process.cwd(), options: { location?: string } = {}): Promise<Azurite> {
  const port = await freePort();
  const bin = join(projectRoot, 'node_modules', 'azurite', 'dist', 'src', 'table', 'main.js');
  if (options.location) mkdirSync(options.location, { recursive: true });
  const storage = options.location ? ['--location', options.location] : ['--inMemoryPersistence'];
  const child: ChildProcess = spawn(process.execPath, [bin, '--tableHost', '127.0.0.1', '--tablePort', String(port), ...storage, '--disableTelemetry', '--skipApiVersionCheck', '--silent'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within 15 s: ${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/successfully (started|listening)/i.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (${code}): ${output}`));
    });
  });
  return {
    port,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};TableEndpoint=http://127.0.0.1:${port}/${DEV_ACCOUNT};`,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

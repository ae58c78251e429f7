/**
 * `ringmaster serve`: the Functions app on this machine, at the Functions host's URL shapes (Event Grid
 * webhooks, the HTTP API, timers, durable orchestrations persisted under the state dir), like `func start`.
 * Settings come from local.settings.json `Values` (or --settings FILE), under the environment, then flags.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Cron } from 'croner';
import { buildDeps, readAppSettings, type AppSettings } from '../app/wiring';
import { MemoryLedger } from '../ledger/ledger';
import { startAzurite } from '../local/azurite';
import { wallClock } from '../local/clock';
import { startLocalHost, type LocalHost } from '../local/functions-host';

export const SERVE_HELP = `Usage: ringmaster serve [--port P] [--arm-endpoint URL] [--state-dir DIR] [--settings FILE]
                       [--ledger memory|azurite|CONNECTION] [--function-key K] [--allow-remote HOST]

Runs the Ringmaster Functions app on this machine, like \`func start\`: the Event Grid webhooks, the HTTP
API (/api/releases, /api/dashboard, /api/health), the timers and the release orchestrations, whose
history is kept under the state dir so that a restart resumes every running release.

Settings: the Values of local.settings.json in the current directory (or --settings FILE), except
names already set in the environment (the environment wins, as with func start); then the flags.
Relative paths in the file (RINGMASTER_PLANS, RINGMASTER_ARM_CA_FILE) are relative to the file.
The settings are those of docs/operator-guide.md; every problem is printed, one per line (exit 2).

Options:
  --port P              listen on 127.0.0.1:P (default 7071; 0 picks a free port)
  --arm-endpoint URL    RINGMASTER_ARM_ENDPOINT, e.g. the simulator's https://127.0.0.1:8443
                        (its CA: RINGMASTER_ARM_CA_FILE, the ca.pem in the simulator's state dir)
  --state-dir DIR       orchestration history, keys.json, webhook handshakes, the Azurite ledger
                        (default .ringmaster/serve); restart with the same DIR to resume
  --settings FILE       a local.settings.json-shaped file instead of ./local.settings.json
  --ledger WHERE        memory (lost on exit), azurite (started here, kept under DIR/azurite), or a
                        storage connection string. Default: RINGMASTER_LEDGER_CONNECTION or
                        AzureWebJobsStorage when it points elsewhere than development storage,
                        Azurite otherwise
  --function-key K      the key for /api/... (header x-functions-key or ?code=). Default: generated
                        once and kept in DIR/keys.json (mode 0600); never printed in full
  --allow-remote HOST   listen on HOST (e.g. 0.0.0.0) instead of loopback only

When ready it prints one line: the API URL, the Event Grid webhook URL (with the system key, also in
DIR/keys.json) and where the function key comes from. Stop with Ctrl-C (SIGINT) or SIGTERM.
The operator commands read DIR/keys.json too: ringmaster releases, ringmaster release show ID.

Exit status: 0 after a clean stop, 1 when the app fails to start, 2 on bad usage or settings.
`;

export const DEFAULT_STATE_DIR = join('.ringmaster', 'serve');
export const KEYS_FILE = 'keys.json';
/** Timer schedules the app's registrations name (%SETTING%); checked up front with every other problem. */
const TIMER_SETTINGS = ['RINGMASTER_WATCH_SCHEDULE', 'RINGMASTER_REBAKE_SCHEDULE'];

export interface ServeIo {
  out(line: string): void;
  err(line: string): void;
  /** The environment the settings file is layered under (default process.env). */
  env?: Record<string, string | undefined>;
  /** The project root holding dist/index.js (default: found from this module). */
  root?: string;
  /** Resolves when serve should stop (default: SIGINT or SIGTERM). */
  until?: Promise<unknown>;
}

export interface Serving {
  url: string;
  port: number;
  stateDir: string;
  keyFile: string;
  functionKey: string;
  systemKey: string;
  host: LocalHost;
  readyLine: string;
  stop(): Promise<void>;
}

export async function runServeCommand(argv: string[], io: Partial<ServeIo> = {}): Promise<number> {
  const full: ServeIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`), ...io };
  const started = await startServe(argv, full);
  if (typeof started === 'number') return started;
  const signal = await (full.until ?? untilSignal());
  full.out(`ringmaster serve: stopping${typeof signal === 'string' ? ` (${signal})` : ''}`);
  await started.stop();
  full.out(`ringmaster serve: stopped; state kept in ${started.stateDir}`);
  // Clients' keep-alive sockets must not hold the process after a signal (unref'd: fires only if stuck).
  if (!full.until) setTimeout(() => process.exit(process.exitCode ?? 0), 3000).unref();
  return 0;
}

/** Starts serving, or returns an exit code (help, bad usage, bad settings, failure to start). */
export async function startServe(argv: string[], io: ServeIo): Promise<Serving | number> {
  const usage = (m: string) => (io.err(`ringmaster serve: ${m}\n\n${SERVE_HELP}`), 2);
  let values;
  try {
    values = parseArgs({ args: argv, strict: true, options: { port: { type: 'string' }, 'arm-endpoint': { type: 'string' }, 'state-dir': { type: 'string' }, settings: { type: 'string' }, ledger: { type: 'string' }, 'function-key': { type: 'string' }, 'allow-remote': { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (err) {
    return usage((err as Error).message);
  }
  if (values.help) return (io.out(SERVE_HELP), 0);
  const port = Number(values.port ?? 7071);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return usage(`--port must be 0…65535, got "${values.port}"`);
  const key = values['function-key'];
  if (key !== undefined && !/^[\x21-\x7e]{16,}$/.test(key)) return usage('--function-key must be at least 16 printable characters without spaces');
  const listenHost = values['allow-remote'] ?? '127.0.0.1';
  const root = io.root ?? projectRoot();
  const appEntry = join(root, 'dist', 'index.js');
  if (!existsSync(appEntry)) return (io.err(`ringmaster serve: the app is not built (${appEntry} is missing): run \`npm run build\``), 2);

  const loaded = loadSettings(values.settings, io.env ?? process.env);
  if (values['arm-endpoint']) loaded.values.RINGMASTER_ARM_ENDPOINT = values['arm-endpoint'];
  const ledger = chooseLedger(values.ledger, loaded.values);
  const problems = [...loaded.problems];
  let settings: AppSettings | undefined;
  try {
    settings = readAppSettings(loaded.values);
  } catch (err) {
    problems.push(...settingsProblems(err));
  }
  for (const name of TIMER_SETTINGS) problems.push(...cronProblem(name, loaded.values[name]));
  if (problems.length || !settings) {
    io.err(`ringmaster serve: invalid settings (${loaded.source}):`);
    for (const p of problems) io.err(`  ${p}`);
    return 2;
  }
  io.out(`ringmaster serve: settings from ${loaded.source}${loaded.fromEnv.length ? `; from the environment instead: ${loaded.fromEnv.join(', ')}` : ''}`);

  const stateDir = resolve(values['state-dir'] ?? DEFAULT_STATE_DIR);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const lock = takeLock(stateDir);
  if (typeof lock === 'string') return (io.err(`ringmaster serve: ${lock}`), 2);
  if (port !== 0 && !(await portFree(listenHost, port))) {
    lock.release();
    return (io.err(`ringmaster serve: ${listenHost}:${port} is in use (another serve or func start?); pick another with --port`), 2);
  }
  const keys = loadOrCreateKeys(stateDir, key);
  let azurite: { stop(): Promise<void> } | undefined;
  let host: LocalHost | undefined;
  try {
    let store: MemoryLedger | undefined;
    if (ledger.kind === 'memory') store = new MemoryLedger();
    else if (ledger.kind === 'azurite') {
      const a = await startAzurite(root, { location: join(stateDir, 'azurite') });
      azurite = a;
      settings = { ...settings, storageConnection: a.connectionString };
    } else settings = { ...settings, storageConnection: ledger.connection };
    io.out(`ringmaster serve: ledger ${ledger.describe}`);
    const deps = buildDeps(settings, store);
    const requireApp = createRequire(appEntry);
    host = await startLocalHost({ port, host: listenHost, allowRemote: values['allow-remote'] !== undefined, clock: wallClock, stateDir, functionKey: keys.functionKey, systemKey: keys.systemKey, settings: loaded.values, deps, loadApp: () => requireApp(appEntry), log: io.err });
  } catch (err) {
    await azurite?.stop().catch(() => {});
    lock.release();
    io.err(`ringmaster serve: failed to start: ${(err as Error).message}`);
    return 1;
  }
  const shown = displayPath(keys.file);
  const keyNote = keys.source === 'flag' ? `from --function-key, ${fingerprint(keys.functionKey)}` : `${keys.source === 'generated' ? 'generated, ' : ''}in ${shown}, ${fingerprint(keys.functionKey)}`;
  const readyLine = `ringmaster serve ready: API ${host.url}/api (function key ${keyNote}) · Event Grid webhook ${host.url}/runtime/webhooks/eventgrid?functionName={onResourceEvent|onReleaseEvent}&code=${keys.systemKey} · state ${displayPath(stateDir)}`;
  io.out(readyLine);
  const running = host;
  let stopped: Promise<void> | undefined;
  return {
    url: host.url,
    port: host.port,
    stateDir,
    keyFile: keys.file,
    functionKey: keys.functionKey,
    systemKey: keys.systemKey,
    host,
    readyLine,
    stop: () =>
      (stopped ??= (async () => {
        await running.close().catch((err: unknown) => io.err(`ringmaster serve: closing the host: ${String(err)}`));
        await azurite?.stop().catch(() => {});
        lock.release();
      })()),
  };
}

// ---------------------------------------------------------------------------------------------- settings

export interface LoadedSettings {
  values: Record<string, string | undefined>;
  source: string;
  /** Names in the file that the environment overrides. */
  fromEnv: string[];
  problems: string[];
}

/** local.settings.json Values under the environment (the environment wins, like func start). */
export function loadSettings(file: string | undefined, env: Record<string, string | undefined>): LoadedSettings {
  const path = resolve(file ?? 'local.settings.json');
  const values: Record<string, string | undefined> = { ...env };
  if (!existsSync(path)) {
    if (file !== undefined) return { values, source: path, fromEnv: [], problems: [`--settings: ${path} does not exist`] };
    return { values, source: 'the environment (no local.settings.json here)', fromEnv: [], problems: [] };
  }
  let doc: { IsEncrypted?: unknown; Values?: unknown };
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as typeof doc;
  } catch (err) {
    return { values, source: path, fromEnv: [], problems: [`${displayPath(path)}: not JSON: ${(err as Error).message}`] };
  }
  if (doc.IsEncrypted === true) return { values, source: path, fromEnv: [], problems: [`${displayPath(path)}: IsEncrypted is true; serve reads plain Values only (func settings decrypt)`] };
  const raw = doc.Values ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { values, source: path, fromEnv: [], problems: [`${displayPath(path)}: Values must be an object of strings`] };
  const problems: string[] = [];
  const fromEnv: string[] = [];
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      problems.push(`${name}: the value in ${displayPath(path)} must be a string`);
      continue;
    }
    if (env[name] !== undefined && env[name] !== '') {
      fromEnv.push(name);
      continue;
    }
    values[name] = relativeTo(dirname(path), name, String(v));
  }
  return { values, source: displayPath(path), fromEnv, problems };
}

/** Plan files and the CA file named in a settings file are relative to that file, like an app root. */
function relativeTo(dir: string, name: string, value: string): string {
  if (name === 'RINGMASTER_ARM_CA_FILE' && value.trim() && !isAbsolute(value.trim())) return resolve(dir, value.trim());
  if (name !== 'RINGMASTER_PLANS') return value;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((p) => (isAbsolute(p) ? p : resolve(dir, p)))
    .join(',');
}

/** readAppSettings throws one error listing every problem ("invalid settings:\n  a\n  b"). */
function settingsProblems(err: unknown): string[] {
  const fromList = (err as { problems?: unknown }).problems;
  if (Array.isArray(fromList)) return fromList.map(String);
  const lines = String((err as Error).message ?? err).split('\n').map((l) => l.trim()).filter(Boolean);
  return lines[0]?.startsWith('invalid settings') ? lines.slice(1) : lines;
}

function cronProblem(name: string, value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [`${name}: not set (a timer's schedule, six-field NCRONTAB such as "0 */1 * * * *")`];
  try {
    new Cron(value, { paused: true, timezone: 'UTC' });
    return [];
  } catch (err) {
    return [`${name}: not a schedule ("${value}"): ${(err as Error).message}`];
  }
}

export type LedgerChoice = { kind: 'memory'; describe: string } | { kind: 'azurite'; describe: string } | { kind: 'connection'; connection: string; describe: string };

/** --ledger, else a configured connection that is not development storage, else Azurite. */
export function chooseLedger(flag: string | undefined, values: Record<string, string | undefined>): LedgerChoice {
  if (flag === 'memory') return { kind: 'memory', describe: 'in memory (lost when serve stops)' };
  if (flag === 'azurite') return { kind: 'azurite', describe: 'in Azurite, started here (kept under the state dir)' };
  if (flag) return { kind: 'connection', connection: flag, describe: 'in Table storage (--ledger connection)' };
  for (const name of ['RINGMASTER_LEDGER_CONNECTION', 'AzureWebJobsStorage']) {
    const v = values[name]?.trim();
    if (!v) continue;
    if (/UseDevelopmentStorage=true/i.test(v)) break;
    return { kind: 'connection', connection: v, describe: `in Table storage (${name})` };
  }
  return { kind: 'azurite', describe: 'in Azurite, started here (kept under the state dir)' };
}

// -------------------------------------------------------------------------------------------------- keys

export interface ServeKeys {
  functionKey: string;
  systemKey: string;
  file: string;
  source: 'flag' | 'generated' | 'file';
}

/** Keys persist in STATE_DIR/keys.json (0600): a restart keeps webhook URLs and the API key valid. */
export function loadOrCreateKeys(stateDir: string, given?: string): ServeKeys {
  const file = join(stateDir, KEYS_FILE);
  let stored: { functionKey?: unknown; systemKey?: unknown } = {};
  if (existsSync(file)) {
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
    } catch {
      stored = {};
    }
  }
  const systemKey = typeof stored.systemKey === 'string' && stored.systemKey ? stored.systemKey : newKey();
  const kept = typeof stored.functionKey === 'string' && stored.functionKey ? stored.functionKey : undefined;
  const functionKey = given ?? kept ?? newKey();
  const source = given !== undefined ? 'flag' : kept ? 'file' : 'generated';
  // A key given on the command line is not written down; the operator commands then need --key.
  const content = `${JSON.stringify(given !== undefined ? { systemKey } : { functionKey, systemKey }, null, 2)}\n`;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return { functionKey, systemKey, file, source };
}

export function readKeysFile(stateDir: string): { functionKey?: string; systemKey?: string } | undefined {
  const file = join(stateDir, KEYS_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as { functionKey?: unknown; systemKey?: unknown };
    return { ...(typeof v.functionKey === 'string' ? { functionKey: v.functionKey } : {}), ...(typeof v.systemKey === 'string' ? { systemKey: v.systemKey } : {}) };
  } catch {
    return undefined;
  }
}

function newKey(): string {
  return randomBytes(24).toString('base64url');
}

/** A short, non-reversible name for a key, safe to print. */
export function fingerprint(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}

// ------------------------------------------------------------------------------------------------ runtime

/** One serve per state dir: two would write the same orchestration history. */
function takeLock(stateDir: string): { release(): void } | string {
  const file = join(stateDir, 'serve.lock');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) return `another serve (pid ${pid}) is using ${displayPath(stateDir)}; stop it or pass another --state-dir`;
  }
  writeFileSync(file, `${process.pid}\n`);
  return { release: () => rmSync(file, { force: true }) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed serve not yet reaped by its parent is a zombie (Linux): dead for our purpose.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const srv = createServer();
    srv.once('error', () => done(false));
    srv.listen(port, host, () => srv.close(() => done(true)));
  });
}


function untilSignal(): Promise<string> {
  return new Promise((done) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      // A second signal while stopping ends the process at once.
      process.once(signal, () => process.exit(130));
      done(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** The directory with package.json above this module: the repository (src/cli) or the bundle (dist). */
export function projectRoot(from = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(from, '..');
    dir = up;
  }
}

function displayPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

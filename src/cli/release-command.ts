/**
 * The operator commands, against a local `ringmaster serve` or a deployed app, over the HTTP API:
 * `ringmaster releases` lists releases; `ringmaster release show|pause|resume|approve|approve-budget|promote|abort|demote ID`.
 * Exit status: 0 ok, 1 the API refused (401, 404, 409, 400, 5xx), 2 bad usage or no connection.
 */
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OPERATOR_ACTIONS } from '../core';
import type { ReleaseSummary } from '../app/release-summary';
import type { LedgerEntry } from '../ledger/ledger';
import { DEFAULT_STATE_DIR, readKeysFile } from './serve-command';

const ACTIONS = OPERATOR_ACTIONS;
const DEFAULT_URL = 'http://127.0.0.1:7071';

const TARGET_HELP = `  --url URL          the app: http://127.0.0.1:7071 (ringmaster serve) or https://<app>.azurewebsites.net
                     (default: env RINGMASTER_URL, else http://127.0.0.1:7071)
  --key KEY          the function key (default: env RINGMASTER_KEY, else, for a loopback URL only, the
                     key that ringmaster serve keeps in STATE_DIR/keys.json). For a deployed app:
                     az functionapp keys list -g <rg> -n <app> --query functionKeys.default -o tsv
  --state-dir DIR    the serve state dir whose keys.json to read (default ${DEFAULT_STATE_DIR})
  --json             print the API's JSON instead of text`;

export const RELEASES_HELP = `Usage: ringmaster releases [--url URL] [--key KEY] [--json]

Lists the releases of a running Ringmaster app, newest first: id, version, phase, ring, and what the
release waits for (or why it was demoted).

Options:
${TARGET_HELP}

Exit status: 0 ok, 1 the app refused (wrong key, …), 2 bad usage or the app cannot be reached.
`;

export const RELEASE_HELP = `Usage: ringmaster release show ID [--last N] [--url URL] [--key KEY] [--json]
       ringmaster release pause|resume|approve|approve-budget|promote|abort|demote ID [--actor NAME] [--reason TEXT]
                          [--url URL] [--key KEY] [--json]

show     the release's state, its rings and the last N ledger entries (default 10)
pause    stop opening rings (upgrades already rolling go on; Azure's thresholds still apply)
resume   carry on after a pause (restarts OS upgrades that stopped in open regions)
approve  let a ring that waits for the approval its plan requires open
approve-budget
         let the current ring open beyond the plan's fleet budget (recorded as a budget approval)
promote  end the current ring's soak now
abort    stop the release; the version stays where it reached
demote   exclude the version from latest everywhere and cancel upgrades still rolling

An action is a signal: the release decides in its current state and records the outcome, with its
cause, in its ledger (see \`ringmaster release show ID\`). IDs come from \`ringmaster releases\`.

Options:
  --actor NAME       who acts, for the ledger and the notices (default: your user name)
  --reason TEXT      why, for the ledger and the notices
  --last N           how many ledger entries show prints (default 10)
${TARGET_HELP}

Exit status: 0 ok (an action was accepted: 202), 1 the app refused (401 wrong key, 404 no such
release, 409 release not running, 400), 2 bad usage or the app cannot be reached.
`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env?: Record<string, string | undefined>;
}

const consoleIo: CliIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

interface ReleaseView {
  id: string;
  status: string;
  createdTime: string;
  lastUpdatedTime: string;
  release?: ReleaseSummary;
}

const targetOptions = { url: { type: 'string' }, key: { type: 'string' }, 'state-dir': { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } as const;

export async function runReleasesCommand(argv: string[], io: CliIo = consoleIo): Promise<number> {
  let values;
  try {
    values = parseArgs({ args: argv, strict: true, options: targetOptions }).values;
  } catch (err) {
    return usage(io, 'releases', (err as Error).message, RELEASES_HELP);
  }
  if (values.help) return (io.out(RELEASES_HELP), 0);
  const target = resolveTarget(values, io.env ?? process.env);
  const res = await call(target, 'GET', '/api/releases', undefined, io, 'releases');
  if (typeof res === 'number') return res;
  const body = res.body as { releases?: ReleaseView[] };
  if (values.json) return (io.out(JSON.stringify(res.body, null, 2)), 0);
  const releases = body.releases ?? [];
  if (releases.length === 0) return (io.out(`no releases at ${target.url} yet`), 0);
  io.out(table(['ID', 'VERSION', 'PHASE', 'RING', 'WAITING FOR / DEMOTION CAUSE'], releases.map(row)));
  return 0;
}

export async function runReleaseCommand(argv: string[], io: CliIo = consoleIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { ...targetOptions, actor: { type: 'string' }, reason: { type: 'string' }, last: { type: 'string' } } });
  } catch (err) {
    return usage(io, 'release', (err as Error).message, RELEASE_HELP);
  }
  const { values, positionals } = parsed;
  if (values.help) return (io.out(RELEASE_HELP), 0);
  const [verb, id, ...extra] = positionals;
  if (!verb) return usage(io, 'release', 'which one: show, pause, resume, approve, approve-budget, promote, abort or demote?', RELEASE_HELP);
  if (verb !== 'show' && !(ACTIONS as readonly string[]).includes(verb)) return usage(io, 'release', `unknown subcommand "${verb}"`, RELEASE_HELP);
  if (!id) return usage(io, 'release', `${verb} needs a release ID (see \`ringmaster releases\`)`, RELEASE_HELP);
  if (extra.length) return usage(io, 'release', `unexpected argument "${extra[0]}"`, RELEASE_HELP);
  const last = Number(values.last ?? 10);
  if (!Number.isInteger(last) || last < 0) return usage(io, 'release', `--last must be a whole number, got "${values.last}"`, RELEASE_HELP);
  const target = resolveTarget(values, io.env ?? process.env);
  const path = `/api/releases/${encodeURIComponent(id)}`;
  if (verb === 'show') {
    const res = await call(target, 'GET', path, undefined, io, `release show ${id}`);
    if (typeof res === 'number') return res;
    if (values.json) return (io.out(JSON.stringify(res.body, null, 2)), 0);
    io.out(renderShow(res.body as ReleaseView & { ledger?: LedgerEntry[] }, last));
    return 0;
  }
  const actor = values.actor?.trim() || defaultActor();
  const payload = { actor, ...(values.reason ? { reason: values.reason } : {}) };
  const res = await call(target, 'POST', `${path}/${verb}`, payload, io, `release ${verb} ${id}`);
  if (typeof res === 'number') return res;
  if (values.json) return (io.out(JSON.stringify(res.body, null, 2)), 0);
  const recorded = (res.body as { actor?: string } | undefined)?.actor ?? actor;
  io.out(`${verb} ${id}: accepted (HTTP ${res.status}) as ${recorded}${recorded !== actor ? ` (you said ${actor}; the app records who it authenticated)` : ''}. The release decides in its current state; \`ringmaster release show ${id}\` shows the outcome in its ledger.`);
  return 0;
}

// ------------------------------------------------------------------------------------------------ target

export interface Target {
  url: string;
  key?: string;
  /** Where the key came from, for the 401 message. */
  keySource: string;
}

export function resolveTarget(values: { url?: string; key?: string; 'state-dir'?: string }, env: Record<string, string | undefined>): Target {
  const raw = values.url ?? env.RINGMASTER_URL ?? DEFAULT_URL;
  const url = raw.trim().replace(/\/+$/, '').replace(/\/api$/i, '');
  if (values.key) return { url, key: values.key, keySource: '--key' };
  if (env.RINGMASTER_KEY) return { url, key: env.RINGMASTER_KEY, keySource: 'env RINGMASTER_KEY' };
  const stateDir = resolve(values['state-dir'] ?? DEFAULT_STATE_DIR);
  const file = join(stateDir, 'keys.json');
  // The local serve's key is never sent anywhere but loopback.
  if (!isLoopback(url)) return { url, keySource: `nowhere: pass --key or set RINGMASTER_KEY (the local ${file} is used for loopback URLs only)` };
  const keys = readKeysFile(stateDir);
  if (keys?.functionKey) return { url, key: keys.functionKey, keySource: file };
  return { url, keySource: `nowhere: no function key in ${file} (start ringmaster serve, or pass --key / set RINGMASTER_KEY)` };
}

function isLoopback(url: string): boolean {
  try {
    return ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}

interface Answer {
  status: number;
  body: unknown;
}

/** One API call; on failure prints a clear message and returns the exit code. */
async function call(t: Target, method: 'GET' | 'POST', path: string, payload: unknown, io: CliIo, what: string): Promise<Answer | number> {
  const fail = (code: number, m: string) => (io.err(`ringmaster ${what}: ${m}`), code);
  let endpoint: string;
  try {
    const u = new URL(`${t.url}${path}`);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    endpoint = u.toString();
  } catch {
    return fail(2, `--url must be an http(s) URL, got "${t.url}"`);
  }
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method,
      headers: { accept: 'application/json', ...(t.key ? { 'x-functions-key': t.key } : {}), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
      signal: AbortSignal.timeout(20_000),
    });
  } catch (err) {
    return fail(2, `cannot reach ${t.url}: ${reason(err)}. Is \`ringmaster serve\` running, or is --url / RINGMASTER_URL right?`);
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    /* not JSON: kept as text */
  }
  const message = (body as { error?: { message?: string } })?.error?.message ?? (typeof body === 'string' ? body.slice(0, 200) : '');
  if (res.status === 401 || res.status === 403) return fail(1, `${t.url} refused the key (HTTP ${res.status}); the key came from ${t.keySource}. Pass the app's function key with --key or RINGMASTER_KEY.`);
  if (res.status === 404) return fail(1, path.split('/').length > 3 ? `no release with id "${decodeURIComponent(path.split('/')[3] ?? '')}" at ${t.url} (HTTP 404); see \`ringmaster releases\`` : `${t.url} has no ${path} (HTTP 404): is it a Ringmaster app?`);
  if (res.status === 409) return fail(1, `not running (HTTP 409): ${message || 'the release takes no more actions'}`);
  if (res.status >= 400) return fail(1, `the app refused (HTTP ${res.status}): ${message}`);
  if (typeof body === 'string') return fail(1, `the app answered HTTP ${res.status} without JSON: ${text.slice(0, 200)}`);
  return { status: res.status, body };
}

function reason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'no answer within 20 s';
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

function usage(io: CliIo, cmd: string, message: string, help: string): number {
  io.err(`ringmaster ${cmd}: ${message}\n\n${help}`);
  return 2;
}

function defaultActor(): string {
  try {
    return userInfo().username || 'cli';
  } catch {
    return 'cli';
  }
}

// ------------------------------------------------------------------------------------------------ output

function row(r: ReleaseView): string[] {
  const s = r.release;
  if (!s) return [r.id, '-', r.status.toLowerCase(), '-', ''];
  const note = s.demotion ? `demoted: ${s.demotion.cause}` : (s.waitingFor ?? (r.status !== 'Running' && !s.terminal ? `orchestration ${r.status}` : ''));
  return [r.id, s.version, s.phase, s.ring ?? '-', note];
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

export function renderShow(r: ReleaseView & { ledger?: LedgerEntry[] }, last: number): string {
  const out = [`release ${r.id}  (orchestration ${r.status}; created ${r.createdTime}, updated ${r.lastUpdatedTime})`];
  const s = r.release;
  if (!s) out.push('  no summary yet: the release has not made its first decision');
  else {
    out.push(`  version   ${s.version}  ${s.versionId}`, `  plan      ${s.plan}`, `  phase     ${s.phase}${s.ring ? ` (ring ${s.ring})` : ''}`);
    if (s.waitingFor) out.push(`  waiting   ${s.waitingFor}`);
    if (s.demotion) out.push(`  demoted   ${s.demotion.at} by ${s.demotion.by}: ${s.demotion.cause}`);
    out.push('rings:');
    const width = Math.max(...s.rings.map((g) => g.name.length));
    const stateWidth = Math.max(...s.rings.map((g) => ringState(g).length));
    for (const g of s.rings) out.push(`  ${g.name.padEnd(width)}  ${ringState(g).padEnd(stateWidth)}  ${g.regions.map((region) => regionState(g, region)).join(', ')}`);
  }
  const ledger = r.ledger ?? [];
  const tail = ledger.slice(Math.max(0, ledger.length - last));
  out.push(`ledger (last ${tail.length} of ${ledger.length}):`);
  const seqWidth = Math.max(0, ...tail.map((e) => String(e.sequence).length));
  for (const e of tail) out.push(`  ${e.at}  #${String(e.sequence).padEnd(seqWidth)}  ${e.kind.padEnd(11)}  ${e.cause}`);
  return out.join('\n');
}

function ringState(g: ReleaseSummary['rings'][number]): string {
  if (g.passedAt) return `passed ${g.passedAt}`;
  if (g.soakUntil) return `soaking until ${g.soakUntil}`;
  if (g.upgradedAt) return `upgraded ${g.upgradedAt}`;
  if (Object.keys(g.opened).length) return 'open';
  return g.approvedBy ? `approved by ${g.approvedBy}` : 'not open';
}

function regionState(g: ReleaseSummary['rings'][number], region: string): string {
  if (g.upgraded[region]) return `${region} upgraded`;
  if (g.opened[region]) return `${region} opened`;
  return region;
}

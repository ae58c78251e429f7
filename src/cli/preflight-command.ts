/**
 * `ringmaster preflight --plan FILE`: reads the plan's scale sets and the version about to be released from ARM (real
 * Azure through `DefaultAzureCredential`, or the loopback simulator with its static token) and runs the pure
 * `preflight` of src/core over them. Exit 0 clean, 1 findings, 2 could not check (and why).
 *
 * Scale sets are read the way the app reads its fleet: one Resource Graph query (`fleet.findScaleSets`, same RBAC
 * actions) for the sets in the plan's regions whose `imageReference.id` is the image definition (tracking latest) or a
 * version of it (pinned), plus every scale set a ring names explicitly (so a set pointed at the wrong image shows up),
 * narrowed by a ring's `selector` where it has one. Resource Graph rows carry the ARM JSON `properties`, which is the
 * shape `preflight` reads, so nothing is lost in a mapping.
 */
import { createArmCredential, readCaFile } from '../azure/credentials';
import { computeClient, resourceGraphClient, subscriptionClient, type ArmConnection } from '../azure/client-options';
import { createLocationsPort } from '../azure/locations-port';
import { Forbidden, NotFound, Transient, toErrorMessage } from '../azure/errors';
import { createGalleryPort } from '../azure/gallery-port';
import { callArm, type PortRuntime } from '../azure/port-runtime';
import { parseGalleryImageId } from '../azure/resource-ids';
import { DEFAULT_RETRY_POLICY } from '../azure/retry';
import { readAzureSettings, SettingsError } from '../azure/settings';
import type { VersionSnapshot } from '../azure/types';
import { BUILT_IN_PAIRS, compareVersions, normalizeRegion, preflight, type Finding, type RegionPairs, type ReleasePlan, type ScaleSetModel } from '../core';
import { readPlanFile } from '../local/plan-file';

export const PREFLIGHT_HELP = `Usage: ringmaster preflight --plan FILE [--json] [--version NAME] [--all-scale-sets]
                           [--arm-endpoint URL] [--subscription ID ...] [--ca-file PEM]

Checks, before a release, why automatic OS image upgrade would silently do
nothing or misbehave on the plan's scale sets:

  image-pinned                      imageReference.id names a version, so the set never moves
  not-gallery-image, other-image    the set does not run this gallery image definition
  automatic-os-upgrade-off          enableAutomaticOSUpgrade is not true
  no-health-source                  neither the Application Health extension nor a probe
  two-health-sources                both of them: the platform refuses to roll
  max-surge-on-flex                 maxSurge on a Flexible set: upgrades silently do nothing
  repair-grace-shorter-than-warm-up automatic repairs would churn instances still warming up
  threshold-looser-than-plan        maxUnhealthyUpgradedInstancePercent above the plan's limit
  region-not-targeted               (regional-flag lever) the version is not replicated there
  region-without-scale-sets         a ring region where no scale set runs the image
  region-pair-in-ring               a ring holds both regions of an Azure pair, as ARM
                                    lists them (subscriptions/locations/read); when that
                                    read is refused, Ringmaster's built-in table

What it reads (read-only; it never writes):
  - the scale sets, through one Resource Graph query: those in the plan's regions
    whose imageReference.id is the plan's image definition (latest) or one of its
    versions (pinned), plus every set a ring names in scaleSets; a ring's selector
    narrows its regions. --all-scale-sets checks every scale set in the plan's
    regions instead (finds sets pointed at a Marketplace or another image).
  - the newest version of the image definition that is not demoted (or
    --version NAME), for its publishingProfile.targetRegions. With no version
    yet, that check is skipped.

Where it reads from:
  --arm-endpoint URL   default RINGMASTER_ARM_ENDPOINT, else https://management.azure.com
                       (signs in with DefaultAzureCredential: managed identity,
                       environment, az login ...). A loopback endpoint such as the
                       simulator's https://127.0.0.1:PORT uses a static test token.
  --subscription ID    repeatable; default RINGMASTER_SUBSCRIPTION_IDS, else the
                       subscriptions named in the plan's image and scale set ids
  --ca-file PEM        an extra CA to trust (the simulator's ca.pem); default
                       RINGMASTER_ARM_CA_FILE

Permissions: Microsoft.ResourceGraph/resources/read,
  Microsoft.Compute/virtualMachineScaleSets/read and
  Microsoft.Compute/galleries/images/versions/read (all in Ringmaster's role).

Output: a table of findings, each with its fix (--json: one JSON document).
Exit status: 0 no findings · 1 findings (errors or warnings) · 2 could not check
  (bad arguments or plan, unreachable endpoint, sign-in failure, or a 403 that
  names the missing RBAC action).

Examples:
  ringmaster preflight --plan examples/payments.yaml
  ringmaster preflight --plan plan.yaml --json --subscription 00000000-0000-0000-0000-000000000001
  ringmaster preflight --plan examples/payments.yaml --arm-endpoint https://127.0.0.1:8443 --ca-file .ringmaster/sim/ca.pem
`;

/** Where the command writes; tests pass their own. */
export interface PreflightIo {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
}

const defaultIo: PreflightIo = {
  out: (t) => console.log(t),
  err: (t) => console.error(t),
  env: process.env,
};

interface PreflightArgs {
  plan: string;
  json: boolean;
  version?: string;
  allScaleSets: boolean;
  armEndpoint?: string;
  subscriptions: string[];
  caFile?: string;
}

type ParsedArgs = { ok: true; args: PreflightArgs } | { ok: false; help: boolean; message?: string };

export function parsePreflightArgs(argv: readonly string[]): ParsedArgs {
  const args: Partial<PreflightArgs> & { subscriptions: string[] } = { json: false, allScaleSets: false, subscriptions: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string | undefined => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case '--help':
      case '-h':
        return { ok: false, help: true };
      case '--json':
        args.json = true;
        break;
      case '--all-scale-sets':
        args.allScaleSets = true;
        break;
      case '--plan':
      case '--version':
      case '--arm-endpoint':
      case '--subscription':
      case '--ca-file': {
        const v = value();
        if (v === undefined || v === '' || v.startsWith('--')) return { ok: false, help: false, message: `${flag} needs a value` };
        if (flag === '--plan') args.plan = v;
        else if (flag === '--version') args.version = v;
        else if (flag === '--arm-endpoint') args.armEndpoint = v;
        else if (flag === '--ca-file') args.caFile = v;
        else args.subscriptions.push(...v.split(',').map((s) => s.trim()).filter(Boolean));
        break;
      }
      default:
        return { ok: false, help: false, message: `unknown argument "${a}"` };
    }
  }
  if (args.plan === undefined) return { ok: false, help: false, message: '--plan FILE is required' };
  return { ok: true, args: args as PreflightArgs };
}

/** The outcome as data (and the `--json` document). */
export interface PreflightReport {
  status: 'clean' | 'findings' | 'could-not-check';
  exitCode: 0 | 1 | 2;
  plan?: string;
  image?: string;
  armEndpoint?: string;
  subscriptions?: string[];
  /** The version whose target regions were compared with the rings; null when the definition has no version. */
  version?: { name: string; id: string; targetRegions: string[] } | null;
  scaleSets?: string[];
  /** Where the region pairs came from: ARM's location metadata, or the built-in table and why. */
  regionPairs?: string;
  findings: Finding[];
  /** Why it could not check (status `could-not-check`). */
  reason?: string;
  /** The RBAC action a 403 was missing. */
  missingAction?: string;
}

/** Reads a scale set row of Resource Graph (ARM JSON) into the shape `preflight` reads; undefined if it is not one. */
export function toScaleSetModel(row: unknown): ScaleSetModel | undefined {
  if (typeof row !== 'object' || row === null) return undefined;
  const r = row as { id?: unknown; name?: unknown; location?: unknown; properties?: unknown };
  if (typeof r.id !== 'string' || typeof r.location !== 'string') return undefined;
  const model: ScaleSetModel = { id: r.id, location: r.location };
  if (typeof r.name === 'string') model.name = r.name;
  if (typeof r.properties === 'object' && r.properties !== null) model.properties = r.properties as ScaleSetModel['properties'];
  return model;
}

const kql = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const IMAGE_REF = 'properties.virtualMachineProfile.storageProfile.imageReference.id';

/** The Resource Graph query for one group of regions (written in the KQL subset the simulator also understands). */
export function scaleSetModelQuery(opts: { imageId: string; regions: readonly string[]; explicitIds: readonly string[]; allScaleSets: boolean; selector?: string }): string {
  const image = opts.imageId.replace(/\/+$/, '');
  const match = [`${IMAGE_REF} =~ ${kql(image)}`, `${IMAGE_REF} startswith ${kql(`${image}/versions/`)}`];
  if (opts.explicitIds.length > 0) match.push(`id in~ (${opts.explicitIds.map(kql).join(', ')})`);
  return [
    'resources',
    "| where type =~ 'microsoft.compute/virtualmachinescalesets'",
    `| where location in~ (${[...new Set(opts.regions.map(normalizeRegion))].map(kql).join(', ')})`,
    ...(opts.allScaleSets ? [] : [`| where ${match.join(' or ')}`]),
    ...(opts.selector ? [`| where ${opts.selector}`] : []),
    '| project id, name, location, resourceGroup, subscriptionId, properties',
    '| order by id asc',
  ].join('\n');
}

/** Newest first by version number (MAJOR.MINOR.PATCH); names that do not parse, by name. */
function compareVersionsDesc(a: VersionSnapshot, b: VersionSnapshot): number {
  return compareVersions(b.name, a.name) || b.name.localeCompare(a.name);
}

const SUBSCRIPTION_IN_ID = /^\/subscriptions\/([^/]+)\//i;

function planSubscriptions(plan: ReleasePlan): string[] {
  const ids = [plan.image, ...plan.rings.flatMap((r) => r.scaleSets ?? [])];
  return [...new Set(ids.map((id) => SUBSCRIPTION_IN_ID.exec(id)?.[1]?.toLowerCase()).filter((s): s is string => s !== undefined))];
}

/** Why a call failed, in words an operator can act on. */
function explain(error: unknown, armEndpoint: string): { reason: string; missingAction?: string } {
  if (error instanceof Forbidden) {
    return {
      reason: `${error.message}. Grant the identity running preflight the action ${error.action} (Ringmaster's custom role has it), then run again.`,
      missingAction: error.action,
    };
  }
  const cause = error instanceof Error ? error.cause : undefined;
  const names = [error, cause].map((e) => (e instanceof Error ? e.name : '')).join(' ');
  const text = toErrorMessage(error);
  if (/CredentialUnavailable|AuthenticationError|AggregateAuthentication/i.test(names) || /DefaultAzureCredential|CredentialUnavailable/i.test(text)) {
    return { reason: `could not sign in to ${armEndpoint}: ${text}. Sign in (az login, a managed identity, or AZURE_CLIENT_ID/AZURE_TENANT_ID/... for a service principal).` };
  }
  if (error instanceof NotFound) {
    return { reason: `${text}. Check the plan's image id (the gallery image definition must exist) and --subscription.` };
  }
  if (error instanceof Transient && /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|REQUEST_SEND_ERROR|UND_ERR_SOCKET/.test(`${error.code ?? ''} ${text}`)) {
    return { reason: `cannot reach ${armEndpoint}: ${text}. Check --arm-endpoint (is the simulator running?) and the network.` };
  }
  return { reason: text };
}

/** Runs the check; never throws (every failure is a `could-not-check` report). */
export async function runPreflight(args: PreflightArgs, env: Record<string, string | undefined>): Promise<PreflightReport> {
  const fail = (reason: string, extra: Partial<PreflightReport> = {}): PreflightReport => ({ status: 'could-not-check', exitCode: 2, findings: [], reason, ...extra });
  const read = readPlanFile(args.plan);
  if (!read.ok) return fail(`${args.plan} is not a valid plan: ${read.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { plan: args.plan });
  const plan = read.plan;
  const image = parseGalleryImageId(plan.image);
  if (!image) return fail(`${args.plan}: image ${plan.image} is not a gallery image definition id`, { plan: args.plan });

  let settings;
  try {
    settings = readAzureSettings({
      ...env,
      ...(args.armEndpoint !== undefined ? { RINGMASTER_ARM_ENDPOINT: args.armEndpoint } : {}),
      ...(args.caFile !== undefined ? { RINGMASTER_ARM_CA_FILE: args.caFile } : {}),
      ...(args.subscriptions.length > 0 ? { RINGMASTER_SUBSCRIPTION_IDS: args.subscriptions.join(',') } : {}),
    });
  } catch (e) {
    return fail(e instanceof SettingsError ? e.problems.join('; ') : toErrorMessage(e), { plan: args.plan });
  }
  const subscriptions = settings.subscriptionIds.length > 0 ? settings.subscriptionIds : planSubscriptions(plan);
  const context: Partial<PreflightReport> = { plan: args.plan, image: plan.image, armEndpoint: settings.armEndpoint, subscriptions };
  let caPem: string | undefined;
  try {
    caPem = readCaFile(settings.armCaFile);
  } catch (e) {
    return fail(`cannot read the CA file ${settings.armCaFile}: ${toErrorMessage(e)}`, context);
  }
  let connection: ArmConnection;
  try {
    connection = { credential: createArmCredential(settings.armEndpoint), endpoint: settings.armEndpoint, ...(caPem ? { caPem } : {}) };
  } catch (e) {
    return fail(toErrorMessage(e), context);
  }
  // A command line answers in seconds: few attempts, short back-off, Retry-After honoured up to 30 s.
  const runtime: PortRuntime = { lroPollIntervalMs: 1000, policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 3, baseDelayMs: 200, maxRetryAfterMs: 30_000 } };

  try {
    const models = await readScaleSetModels(plan, connection, subscriptions, args.allScaleSets, runtime);
    const explicit = plan.rings.flatMap((r) => r.scaleSets ?? []);
    const seen = new Set(models.map((m) => m.id.toLowerCase()));
    const missing = explicit.filter((id) => !seen.has(id.toLowerCase()));

    const gallery = createGalleryPort((sub) => computeClient(connection, sub), runtime);
    const versions = (await gallery.listVersions(plan.image)).sort(compareVersionsDesc);
    // The version about to be released: the newest one not demoted (version-level excludeFromLatest), else the newest.
    const chosen = args.version !== undefined ? versions.find((v) => v.name === args.version) : (versions.find((v) => !v.excludeFromLatest) ?? versions[0]);
    if (args.version !== undefined && !chosen) {
      return fail(`version ${args.version} of ${plan.image} not found (versions: ${versions.map((v) => v.name).join(', ') || 'none'})`, context);
    }
    const targetRegions = chosen?.targetRegions.map((t) => normalizeRegion(t.name));
    const pairs = await regionPairs(connection, image.subscriptionId, runtime);
    const findings = preflight(plan, models, targetRegions, pairs);
    const report: PreflightReport = {
      ...context,
      regionPairs: pairs.source,
      status: findings.length === 0 ? 'clean' : 'findings',
      exitCode: findings.length === 0 ? 0 : 1,
      version: chosen && targetRegions ? { name: chosen.name, id: chosen.id, targetRegions } : null,
      scaleSets: models.map((m) => m.id),
      findings,
    };
    if (missing.length > 0) {
      return {
        ...report,
        status: 'could-not-check',
        exitCode: 2,
        reason: `the plan names scale sets that Resource Graph did not return (missing, in another subscription than ${subscriptions.join(', ')}, or not readable: needs Microsoft.Compute/virtualMachineScaleSets/read): ${missing.join(', ')}`,
      };
    }
    return report;
  } catch (e) {
    return fail('', { ...context, ...explain(e, settings.armEndpoint) });
  }
}

/** Azure's region pairs from ARM's location metadata; the built-in table when that read is refused or fails. */
async function regionPairs(connection: ArmConnection, subscriptionId: string, runtime: PortRuntime): Promise<{ table: RegionPairs; source: string }> {
  try {
    const table = await createLocationsPort(subscriptionClient(connection), runtime).readRegionPairs(subscriptionId);
    if (Object.keys(table).length > 0) return { table, source: `ARM location metadata of subscription ${subscriptionId}` };
    return { table: BUILT_IN_PAIRS, source: `Ringmaster's built-in table (ARM listed no pairs for ${subscriptionId})` };
  } catch (e) {
    return { table: BUILT_IN_PAIRS, source: `Ringmaster's built-in table (ARM's locations could not be read: ${toErrorMessage(e).slice(0, 200)})` };
  }
}

/** One Resource Graph query per group: every ring without a selector together, then each ring with one. */
async function readScaleSetModels(plan: ReleasePlan, connection: ArmConnection, subscriptions: string[], allScaleSets: boolean, runtime: PortRuntime): Promise<ScaleSetModel[]> {
  if (subscriptions.length === 0) throw new Error('no subscription to search: pass --subscription ID or set RINGMASTER_SUBSCRIPTION_IDS');
  const graph = resourceGraphClient(connection);
  const groups: { regions: string[]; explicitIds: string[]; selector?: string }[] = [];
  const plain = plan.rings.filter((r) => r.selector === undefined);
  if (plain.length > 0) groups.push({ regions: plain.flatMap((r) => r.regions), explicitIds: plain.flatMap((r) => r.scaleSets ?? []) });
  for (const r of plan.rings.filter((x) => x.selector !== undefined)) {
    groups.push({ regions: r.regions, explicitIds: r.scaleSets ?? [], ...(r.selector ? { selector: r.selector } : {}) });
  }
  const byId = new Map<string, ScaleSetModel>();
  for (const g of groups) {
    const query = scaleSetModelQuery({ imageId: plan.image, allScaleSets, ...g });
    let skipToken: string | undefined;
    do {
      const page = await callArm(
        'fleet.findScaleSets',
        () => graph.resources({ query, subscriptions, options: { top: 1000, resultFormat: 'objectArray', ...(skipToken ? { skipToken } : {}) } }),
        runtime,
      );
      const rows: unknown = page.data;
      for (const row of Array.isArray(rows) ? rows : []) {
        const m = toScaleSetModel(row);
        if (m) byId.set(m.id.toLowerCase(), m);
      }
      skipToken = page.skipToken;
    } while (skipToken);
  }
  // A ring that names its scale sets is those sets only, in its regions.
  const regionOwner = new Map(plan.rings.flatMap((r) => r.regions.map((region) => [region, r] as const)));
  return [...byId.values()].filter((m) => {
    const ring = regionOwner.get(normalizeRegion(m.location));
    return !ring?.scaleSets || ring.scaleSets.some((id) => id.toLowerCase() === m.id.toLowerCase());
  });
}

/** `…/resourceGroups/rg/providers/…/virtualMachineScaleSets/name` → `name (rg)`; regions stay as they are. */
function shortResource(id: string): string {
  const m = /\/resourceGroups\/([^/]+)\/providers\/[^/]+\/[^/]+\/([^/]+)$/i.exec(id);
  return m ? `${m[2]} (${m[1]})` : id;
}

/** The human-readable report. */
export function formatPreflightReport(r: PreflightReport): string {
  const lines: string[] = [];
  if (r.image) lines.push(`preflight: ${r.plan} · image ${r.image.split('/').at(-1)} · ${r.armEndpoint} · subscriptions ${r.subscriptions?.join(', ') || 'none'}`);
  if (r.scaleSets) {
    lines.push(`  scale sets checked: ${r.scaleSets.length}`);
    lines.push(
      r.version
        ? `  version checked: ${r.version.name} (targetRegions: ${r.version.targetRegions.join(', ') || 'none'})`
        : '  version checked: none yet (the image definition has no version); the replication check was skipped',
    );
  }
  if (r.findings.length > 0) {
    const rows = r.findings.map((f) => [f.severity, f.id, shortResource(f.resource)] as const);
    const w = [8, ...[1, 2].map((c) => Math.max(...rows.map((row) => row[c]?.length ?? 0), c === 1 ? 7 : 8))];
    const pad = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(w[i] ?? 0)).join('  ').trimEnd();
    lines.push('', pad(['SEVERITY', 'FINDING', 'RESOURCE']));
    r.findings.forEach((f, i) => {
      lines.push(pad(rows[i] ?? []));
      lines.push(`          ${f.message}`);
      lines.push(`          fix: ${f.fix}`);
    });
    const errors = r.findings.filter((f) => f.severity === 'error').length;
    const warnings = r.findings.length - errors;
    lines.push('', `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
  } else if (r.status !== 'could-not-check') {
    lines.push('', `clean: no findings on ${r.scaleSets?.length ?? 0} scale set${r.scaleSets?.length === 1 ? '' : 's'}`);
  }
  return lines.join('\n');
}

/** Entry point for `ringmaster preflight`. */
export async function runPreflightCommand(argv: string[], io: PreflightIo = defaultIo): Promise<number> {
  const parsed = parsePreflightArgs(argv);
  if (!parsed.ok) {
    if (parsed.help) {
      io.out(PREFLIGHT_HELP);
      return 0;
    }
    io.err(`ringmaster preflight: ${parsed.message}\n\n${PREFLIGHT_HELP}`);
    return 2;
  }
  const report = await runPreflight(parsed.args, io.env);
  if (parsed.args.json) io.out(JSON.stringify(report, null, 2));
  else {
    const text = formatPreflightReport(report);
    if (text) io.out(text);
    if (report.status === 'could-not-check') io.err(`ringmaster preflight: could not check: ${report.reason}`);
  }
  return report.exitCode;
}

/**
 * Builds the app's dependencies from settings, once per process: the Azure ports over the real SDK
 * clients, the notifiers, the ledger, the event publisher and the plans. Everything that reads
 * `process.env` goes through `readAppSettings` (env passed in, so tests give their own).
 */
import { readFileSync } from 'node:fs';
import { normalizeRegion } from '../azure/port-runtime';
import { DefaultAzureCredential } from '@azure/identity';
import { createAzureAdapters } from '../azure/adapters';
import type { EventPublisher } from '../azure/event-publisher';
import { readAzureSettings, secretResolver, type AzureSettings } from '../azure/settings';
import { parseDuration, validatePlan, type Command, type ReleasePlan } from '../core';
import { MemoryLedger, type Ledger } from '../ledger/ledger';
import { TableDedupeStore } from '../ledger/dedupe-table';
import { TableLedger } from '../ledger/table-ledger';
import { type DedupeStore, MemoryDedupeStore } from '../notify/delivery';
import { createNotifier, type Notifier } from '../notify/router';
import type { Notice } from '../notify/notice';
import { parseAllowedHosts, type UrlPolicy } from '../notify/url-policy';
import { parse as parseYaml } from 'yaml';
import { RecentIds } from './event-router';
import type { ReleasePorts } from './ports';

export interface AppSettings {
  azure: AzureSettings;
  /** `RINGMASTER_NOTIFY_ALLOWED_HOSTS` (host patterns) and `RINGMASTER_NOTIFY_ALLOW_LOOPBACK` (local rehearsal only). */
  notifyPolicy: UrlPolicy;
  plans: ReleasePlan[];
  /** `RINGMASTER_LEDGER_CONNECTION` (or the host's `AzureWebJobsStorage` when it is a connection string). */
  storageConnection?: string;
  /** `RINGMASTER_LEDGER_ACCOUNT_URL`: a Table endpoint reached with the app's identity (Entra ID, no keys). */
  ledgerAccountUrl?: string;
  dashboardUrl?: string;
  /** `RINGMASTER_PURGE_AFTER_DAYS` (default 30): ended releases' orchestration history is purged after this long. */
  purgeAfterMs: number;
  /** `RINGMASTER_OPERATOR_IDENTITY`: `entra` when App Service authentication fronts the operator API; else `key`. */
  operatorIdentity: 'entra' | 'key';
  /** `RINGMASTER_IDLE_POLL_SECONDS` (default 600): the longest a release sleeps without a signal. */
  idlePollMs: number;
  /** `RINGMASTER_RETRY_SECONDS` (default 60): delay before failed commands are retried. */
  retryMs: number;
  /** `RINGMASTER_LRO_POLL_MS` (default 2000): how often long-running ARM operations are polled. */
  lroPollMs: number;
  env: Record<string, string | undefined>;
}

/** Reads every setting the app uses; throws one error listing every problem. */
export function readAppSettings(env: Record<string, string | undefined>): AppSettings {
  const azure = readAzureSettings(env);
  const problems: string[] = [];
  const plans: ReleasePlan[] = [];
  for (const file of (env.RINGMASTER_PLANS ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    try {
      const result = validatePlan(parseYaml(readFileSync(file, 'utf8')));
      if (result.ok) plans.push(result.plan);
      else problems.push(...result.errors.map((e) => `RINGMASTER_PLANS: ${file}: ${e.path}: ${e.message}`));
    } catch (err) {
      problems.push(`RINGMASTER_PLANS: cannot read ${file}: ${(err as Error).message}`);
    }
  }
  if (problems.length) throw new Error(`invalid settings:\n  ${problems.join('\n  ')}`);
  const seconds = (name: string, fallback: number) => {
    const v = Number(env[name] ?? fallback);
    return Number.isFinite(v) && v > 0 ? v * 1000 : fallback * 1000;
  };
  return {
    azure,
    notifyPolicy: { allowedHosts: parseAllowedHosts(env.RINGMASTER_NOTIFY_ALLOWED_HOSTS), allowLoopback: env.RINGMASTER_NOTIFY_ALLOW_LOOPBACK?.trim().toLowerCase() === 'true' },
    plans,
    storageConnection: env.RINGMASTER_LEDGER_CONNECTION ?? env.AzureWebJobsStorage,
    ...(env.RINGMASTER_LEDGER_ACCOUNT_URL ? { ledgerAccountUrl: env.RINGMASTER_LEDGER_ACCOUNT_URL } : {}),
    dashboardUrl: env.RINGMASTER_DASHBOARD_URL,
    purgeAfterMs: seconds('RINGMASTER_PURGE_AFTER_DAYS', 30) * 86_400,
    operatorIdentity: env.RINGMASTER_OPERATOR_IDENTITY?.trim().toLowerCase() === 'entra' ? 'entra' : 'key',
    idlePollMs: seconds('RINGMASTER_IDLE_POLL_SECONDS', 600),
    retryMs: seconds('RINGMASTER_RETRY_SECONDS', 60),
    lroPollMs: Number(env.RINGMASTER_LRO_POLL_MS ?? 2000),
    env,
  };
}

/**
 * Writes return once ARM accepted them: the model change (a flag, a target region, a cancel request) is
 * in effect from then on, while the long-running operation tracks replication or the upgrade batch, which
 * can take hours. The orchestrator re-reads ARM every round, so it sees the outcome anyway.
 */
const ACCEPTED = { waitForCompletion: false } as const;

/** Rolling-upgrade reads in flight at once: a fleet read of hundreds of sets should not open hundreds of connections. */
const UPGRADE_READ_CONCURRENCY = 16;

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface AppDeps {
  settings: AppSettings;
  ports: ReleasePorts;
  /** Event ids already routed by this app (duplicates are dropped). */
  seen: RecentIds;
  publisher?: EventPublisher;
  /** The time for timers' decisions (the reconciler's lookback, purge, rebakes): the wall clock, or a rehearsal's. */
  now: () => Date;
}

/** Builds the ports over the real SDK clients. */
export function buildDeps(settings: AppSettings, ledger?: Ledger, now: () => Date = () => new Date()): AppDeps {
  // Retries the adapters absorb are collected here and drained into the ledger by the activities.
  const retries: string[] = [];
  const onRetry = ({ attempt, delayMs, error }: { attempt: number; delayMs: number; error: { kind: string; operation?: string; message: string } }) => {
    if (retries.length < 200) retries.push(`retry ${attempt} of ${error.operation ?? 'an ARM call'} in ${delayMs} ms after ${error.kind}: ${error.message.slice(0, 200)}`);
  };
  const { gallery, fleet, imageBuilder, monitor, events } = createAzureAdapters(settings.azure, { runtime: { lroPollIntervalMs: settings.lroPollMs, onRetry }, eventSource: '/ringmaster/watcher' });
  const policy = settings.notifyPolicy;
  const resolveSecret = secretResolver(settings.env);
  const notifiers = new Map<string, Notifier>();
  // One dedupe memory for every route: a notice retried after an attempt that was abandoned in flight (the
  // release acted on a signal first) is not sent twice when that attempt had in fact been delivered.
  const dedupe = dedupeFor(settings);
  const notifierFor = (channel: 'teams' | 'slack', secretName: string) => {
    const key = `${channel}:${secretName}`;
    return notifiers.get(key) ?? notifiers.set(key, createNotifier(channel, secretName, { resolveSecret, policy, dedupe })).get(key)!;
  };
  const ports: ReleasePorts = {
    async readVersion(versionId) {
      try {
        const v = await gallery.getVersion(versionId);
        // ARM writes regions either way ("East US", "eastus"); plans use the short form.
        return { id: v.id, excludeFromLatest: v.excludeFromLatest, targetRegions: v.targetRegions.map((t) => ({ name: normalizeRegion(t.name), excludeFromLatest: t.excludeFromLatest })), replication: v.replication.map((r) => ({ region: normalizeRegion(r.region), state: r.state })) };
      } catch (err) {
        if ((err as { kind?: string }).kind === 'not-found') return undefined;
        throw err;
      }
    },
    async listVersions(imageId) {
      return (await gallery.listVersions(imageId)).map((v) => ({ id: v.id, name: v.name, excludeFromLatest: v.excludeFromLatest, ...(v.publishedAt ? { publishedAt: v.publishedAt } : {}) }));
    },
    async readFleet(plan) {
      // One query for every ring without a selector, and one per ring with its own (usually none).
      const plain = plan.rings.filter((r) => !r.selector).flatMap((r) => r.regions);
      const queries = [
        ...(plain.length ? [{ imageId: plan.image, regions: plain }] : []),
        ...plan.rings.filter((r) => r.selector).map((r) => ({ imageId: plan.image, regions: r.regions, selector: r.selector! })),
      ];
      const sets = (await Promise.all(queries.map((q) => fleet.findScaleSets(q)))).flat();
      return sets.map((s) => {
        const pinned = /\/versions\/([^/]+)$/i.exec(s.imageReferenceId ?? '')?.[1];
        return { id: s.id, region: s.region, capacity: s.capacity, ...(pinned ? { pinnedVersion: pinned } : {}) };
      });
    },
    async readInstances(ids) {
      // One set's failed read leaves that set without evidence this round, not the others.
      return mapLimited(ids, UPGRADE_READ_CONCURRENCY, (id) => fleet.listInstances(id).catch(() => undefined));
    },
    async readUpgrades(ids) {
      return mapLimited(ids, UPGRADE_READ_CONCURRENCY, async (id) => {
        const u = await fleet.getLatestRollingUpgrade(id);
        return u && { scaleSetId: id, code: u.code as 'Completed', startTime: u.startTime, errorCode: u.errorCode, errorMessage: u.errorMessage, progress: u.progress };
      });
    },
    async setRegionalExclude(versionId, regions, excludeFromLatest) {
      await gallery.setRegionalExcludeFromLatest(versionId, regions.map((region) => ({ region, excludeFromLatest })), ACCEPTED);
    },
    async addTargetRegions(versionId, regions) {
      await gallery.addTargetRegions(versionId, regions.map((name) => ({ name, excludeFromLatest: false })), ACCEPTED);
    },
    async demote(versionId) {
      await gallery.demote(versionId, ACCEPTED);
    },
    async cancelRollingUpgrade(scaleSetId) {
      try {
        await fleet.cancelRollingUpgrade(scaleSetId, ACCEPTED);
      } catch (err) {
        // Nothing to cancel (no upgrade in progress) is the outcome we wanted.
        const kind = (err as { kind?: string }).kind;
        if (kind !== 'conflict' && kind !== 'not-found') throw err;
      }
    },
    async readMetric(gate, resourceId, now) {
      const windowMs = parseDuration(gate.window) ?? 300_000;
      const series = await monitor.readMetric(resourceId, { metricName: gate.metric, aggregation: gate.aggregation, from: new Date(now.getTime() - windowMs).toISOString(), to: now.toISOString() });
      const values = series.points.map((p) => p.value).filter((v): v is number => v !== undefined);
      return values.length ? values[values.length - 1]! : null;
    },
    async startOsUpgrade(scaleSetId) {
      try {
        await fleet.startOSUpgrade(scaleSetId, ACCEPTED);
      } catch (err) {
        // An upgrade already running (the platform picked the version up first) is the outcome we wanted.
        if ((err as { kind?: string }).kind !== 'conflict') throw err;
      }
    },
    async readTemplateRun(id) {
      const r = await imageBuilder.getLastRunStatus(id);
      return { ...(r.runState ? { runState: r.runState } : {}), ...(r.message ? { message: r.message } : {}), ...(r.endTime ? { endTime: r.endTime } : {}) };
    },
    async runImageTemplate(id) {
      await imageBuilder.runTemplate(id, ACCEPTED);
    },
    async notify(command, release) {
      const record = await notifierFor(command.channel, command.secretName).send(toNotice(command, release, settings.dashboardUrl));
      // Deduped: this notice was already delivered (by an earlier attempt of this process).
      return { delivered: record.delivered || record.deduped, attempts: record.attempts, ...(record.error ? { error: record.error } : {}) };
    },
    drainRetries: () => retries.splice(0),
    ledger: ledger ?? ledgerFor(settings),
  };
  return { settings, ports, seen: new RecentIds(), now, ...(events ? { publisher: events } : {}) };
}

/** The ledger the settings name: an account URL (Entra ID), else a connection string, else memory (tests only). */
function ledgerFor(settings: AppSettings): Ledger {
  if (settings.ledgerAccountUrl) return TableLedger.fromAccountUrl(settings.ledgerAccountUrl, new DefaultAzureCredential());
  if (settings.storageConnection) return TableLedger.fromConnectionString(settings.storageConnection);
  return new MemoryLedger();
}

/** The notice dedupe the settings name: the ledger's storage account, table ringmasterNotices; else memory (tests only). */
function dedupeFor(settings: AppSettings): DedupeStore {
  if (settings.ledgerAccountUrl) return TableDedupeStore.fromAccountUrl(settings.ledgerAccountUrl, new DefaultAzureCredential());
  if (settings.storageConnection) return TableDedupeStore.fromConnectionString(settings.storageConnection);
  return new MemoryDedupeStore();
}

/** The chat notice for an engine `notify` command. */
export function toNotice(c: Extract<Command, { kind: 'notify' }>, release: string, dashboardUrl?: string): Notice {
  const f = c.facts;
  return {
    kind: c.notice,
    releaseId: release,
    eventId: c.dedupeKey,
    versionId: f.versionId,
    ...(f.ring ? { ring: f.ring } : {}),
    ...(f.regions ? { regions: f.regions } : {}),
    summary: f.reason,
    nextStep: f.nextStep,
    ...(f.errorCode ? { azureErrorCode: f.errorCode } : {}),
    ...(f.scaleSetId ? { scaleSetIds: [f.scaleSetId] } : {}),
    numbers: {
      ...(f.unhealthyPercent !== undefined ? { unhealthyPercent: f.unhealthyPercent } : {}),
      ...(f.instances ? { instancesUpgraded: f.instances.upgraded, instancesFailed: f.instances.failed, instancesTotal: f.instances.total } : {}),
    },
    ...(dashboardUrl ? { dashboardUrl } : {}),
    occurredAt: new Date().toISOString(),
  };
}

/**
 * Builds the app's dependencies from settings, once per process: the Azure ports over the real SDK
 * clients, the notifiers, the ledger, the event publisher and the plans. Everything that reads
 * `process.env` goes through `readAppSettings` (env passed in, so tests give their own).
 */
import { readFileSync } from 'node:fs';
import { DefaultAzureCredential } from '@azure/identity';
import { createAzureAdapters } from '../azure/adapters';
import { createReleaseWorld } from '../azure/release-world';
import type { EventPublisher } from '../azure/event-publisher';
import { readAzureSettings, secretResolver, type AzureSettings } from '../azure/settings';
import { validatePlan, type Command, type ReleasePlan } from '../core';
import { MemoryLedger, type Ledger } from '../ledger/ledger';
import { TableDedupeStore } from '../ledger/dedupe-table';
import { TableLedger } from '../ledger/table-ledger';
import { type DedupeStore, MemoryDedupeStore } from '../notify/delivery';
import { createNotifier, type Notifier } from '../notify/router';
import { MemoryThreadStore, type ThreadStore } from '../notify/slack-thread';
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
  /** The Slack Web API base for `slackThread` routes: not a setting (Azure always posts to https://slack.com/api); tests and local runs point it at a stub. */
  slackApiUrl?: string;
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

/** `RINGMASTER_OPERATOR_IDENTITY`: `entra` when App Service authentication fronts the app, else `key`. */
export function operatorIdentityOf(env: Record<string, string | undefined>): 'entra' | 'key' {
  return env.RINGMASTER_OPERATOR_IDENTITY?.trim().toLowerCase() === 'entra' ? 'entra' : 'key';
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
    operatorIdentity: operatorIdentityOf(env),
    idlePollMs: seconds('RINGMASTER_IDLE_POLL_SECONDS', 600),
    retryMs: seconds('RINGMASTER_RETRY_SECONDS', 60),
    lroPollMs: Number(env.RINGMASTER_LRO_POLL_MS ?? 2000),
    env,
  };
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
  // Slack thread roots (`slackThread` routes) live beside the dedupe keys, so every instance replies in one thread.
  const notifyOptions = { resolveSecret, policy, ...dedupeFor(settings), ...(settings.slackApiUrl ? { slackApiBase: settings.slackApiUrl } : {}) };
  const notifierFor = ({ channel, secretName, slackChannel }: Extract<Command, { kind: 'notify' }>) => {
    const key = `${channel}:${secretName}#${slackChannel ?? ''}`;
    return notifiers.get(key) ?? notifiers.set(key, createNotifier(channel, secretName, notifyOptions, slackChannel)).get(key)!;
  };
  const ports: ReleasePorts = {
    ...createReleaseWorld({ gallery, fleet, imageBuilder, monitor }),
    async notify(command, release) {
      const record = await notifierFor(command).send(toNotice(command, release, settings.dashboardUrl));
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

/** The notice dedupe and Slack thread roots the settings name: the ledger's storage account, table ringmasterNotices; else memory (tests only). */
function dedupeFor(settings: AppSettings): { dedupe: DedupeStore; threads: ThreadStore } {
  const table = settings.ledgerAccountUrl
    ? TableDedupeStore.fromAccountUrl(settings.ledgerAccountUrl, new DefaultAzureCredential())
    : settings.storageConnection
      ? TableDedupeStore.fromConnectionString(settings.storageConnection)
      : undefined;
  return table ? { dedupe: table, threads: table.threads() } : { dedupe: new MemoryDedupeStore(), threads: new MemoryThreadStore() };
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

/**
 * Routes a notice to the chat channels its plan names, per event kind and ring.
 *
 * Routes carry secret *names* (`teams-payments-oncall`), never URLs; the URL is looked up when the router is built,
 * through `resolveSecret` (app settings, which in Azure may be Key Vault references resolved by the host; see
 * `src/azure/settings.ts`). Every matching route gets its own delivery record; nothing here throws.
 */
import {
  type Channel,
  deliver,
  type DeliveryOptions,
  type DeliveryRecord,
  MemoryDedupeStore,
  type Notifier,
  refusedDelivery,
} from './delivery';
import type { Notice, NoticeKind } from './notice';
import { createSlackNotifier } from './slack';
import { createSlackThreadNotifier, MemoryThreadStore, type ThreadStore } from './slack-thread';
import { createTeamsNotifier } from './teams';
import type { UrlPolicy } from './url-policy';

export type { Notifier } from './delivery';

/** A route as written in a release plan's `notify` list. */
export interface RouteSpec {
  /** Notice kinds this route wants; absent or empty means all. */
  on?: readonly NoticeKind[];
  /** Rings this route wants; absent or empty means all (and notices without a ring). */
  rings?: readonly string[];
  /** Secret name of a Teams Workflows webhook URL. */
  teams?: string;
  /** Secret name of a Slack incoming webhook URL (one message per notice). */
  slack?: string;
  /** Slack Web API with a bot token (secret name) and a channel id: one thread per release. */
  slackThread?: { tokenSecret: string; channel: string };
}

export interface RouterOptions extends DeliveryOptions {
  routes: readonly RouteSpec[];
  /** Secret name → URL (or bot token), or undefined when not configured. */
  resolveSecret: (secretName: string) => string | undefined;
  policy: UrlPolicy;
  /** Extra CA (PEM) for local HTTPS sinks. */
  ca?: string;
  /** Thread roots for `slackThread` routes (default in memory). */
  threads?: ThreadStore;
  /** Slack Web API base for `slackThread` routes (default https://slack.com/api). */
  slackApiBase?: string;
}

/** A notifier that records a failed delivery without sending (unknown secret, channel switched off). */
export function unavailableNotifier(route: string, channel: Channel, reason: string): Notifier {
  return {
    route,
    channel,
    send: (notice) => refusedDelivery({ route, channel, notice }, reason),
  };
}

/** A notifier that accepts everything and sends nothing (tests, dry runs). */
export function noopNotifier(route: string, channel: Channel): Notifier {
  return {
    route,
    channel,
    send: (notice) => deliver({ route, channel, notice }, async () => ({ ok: true, status: 204 })),
  };
}

/**
 * Builds the notifier for one secret name on one channel. With `slackChannel` (a `slackThread` route) the secret
 * is a Slack bot token and the notices go to that channel id by `chat.postMessage`, one thread per release;
 * otherwise it is a webhook URL. The route is named after the secret name (and channel), never its value.
 */
export function createNotifier(channel: Channel, secretName: string, options: Omit<RouterOptions, 'routes'>, slackChannel?: string): Notifier {
  const route = slackChannel === undefined ? secretName : `${secretName}#${slackChannel}`;
  const secret = options.resolveSecret(secretName);
  if (!secret) return unavailableNotifier(route, channel, `secret ${secretName} is not set`);
  if (slackChannel !== undefined) {
    return createSlackThreadNotifier({ ...options, route, token: secret, channel: slackChannel, ...(options.slackApiBase ? { apiBase: options.slackApiBase } : {}) });
  }
  const common = { ...options, route, url: secret };
  return channel === 'teams' ? createTeamsNotifier(common) : createSlackNotifier(common);
}

interface BoundRoute {
  spec: RouteSpec;
  notifier: Notifier;
}

export class NotificationRouter {
  private readonly bound: BoundRoute[];

  constructor(options: RouterOptions) {
    const shared = { ...options, dedupe: options.dedupe ?? new MemoryDedupeStore(), threads: options.threads ?? new MemoryThreadStore() };
    this.bound = [];
    for (const spec of options.routes) {
      if (spec.teams) this.bound.push({ spec, notifier: createNotifier('teams', spec.teams, shared) });
      if (spec.slack) this.bound.push({ spec, notifier: createNotifier('slack', spec.slack, shared) });
      if (spec.slackThread) this.bound.push({ spec, notifier: createNotifier('slack', spec.slackThread.tokenSecret, shared, spec.slackThread.channel) });
    }
  }

  /** The routes a notice goes to. */
  matching(notice: Notice): Notifier[] {
    return this.bound
      .filter(({ spec }) => {
        const kindOk = !spec.on || spec.on.length === 0 || spec.on.includes(notice.kind);
        const ringOk = !spec.rings || spec.rings.length === 0 || (notice.ring !== undefined && spec.rings.includes(notice.ring));
        return kindOk && ringOk;
      })
      .map((b) => b.notifier);
  }

  /** Sends to every matching route in parallel; one record per route; never throws. */
  async dispatch(notice: Notice): Promise<DeliveryRecord[]> {
    return Promise.all(this.matching(notice).map((n) => n.send(notice)));
  }
}

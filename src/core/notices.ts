/**
 * Turning a notice into `notify` commands, one per matching route, each at most once per release.
 */
import type { NoticeKind, ReleasePlan } from './plan';
import type { Command, NoticeFacts, ReleaseState } from './types';

type NotifyCommand = Extract<Command, { kind: 'notify' }>;

/** The plan's routes that subscribe to `kind` (and to `ring`, when the route names rings), with their index. */
function matchingRoutes(plan: ReleasePlan, kind: NoticeKind, ring: string | undefined) {
  return plan.notify
    .map((route, index) => ({ route, index }))
    .filter(({ route }) => route.on.includes(kind) && !(route.rings && ring !== undefined && !route.rings.includes(ring)));
}

function notifyCommand(route: ReleasePlan['notify'][number], kind: NoticeKind, dedupeKey: string, facts: NoticeFacts): NotifyCommand {
  const target = route.slackThread
    ? { channel: 'slack' as const, secretName: route.slackThread.tokenSecret, slackChannel: route.slackThread.channel }
    : { channel: route.teams !== undefined ? ('teams' as const) : ('slack' as const), secretName: (route.teams ?? route.slack)! };
  return {
    kind: 'notify',
    ...target,
    notice: kind,
    dedupeKey,
    facts,
    cause: facts.reason,
  };
}

/**
 * Notices about the plan rather than one release (a rebake that failed or succeeded). `key` identifies the
 * occurrence (e.g. the template and the run's end time), so a repeated report of it yields the same keys.
 */
export function planNoticeCommands(plan: ReleasePlan, kind: NoticeKind, key: string, facts: NoticeFacts): NotifyCommand[] {
  return matchingRoutes(plan, kind, undefined).map(({ route, index }) => notifyCommand(route, kind, `${key}|${kind}|route${index}`, facts));
}

/**
 * Notify commands for `kind`, for every route of the plan that subscribes to it (and to `ring`, when the
 * route names rings). `occurrence` tells repeated notices of the same kind apart (a second pause); the
 * dedupe key (release, kind, ring, occurrence, route) is recorded in `state.notified`, so the same
 * notice is never issued twice however often the engine sees the event that caused it.
 */
export function noticeCommands(
  state: ReleaseState,
  kind: NoticeKind,
  facts: Omit<NoticeFacts, 'version' | 'versionId'>,
  occurrence = 0,
): Command[] {
  const out: Command[] = [];
  for (const { route, index } of matchingRoutes(state.plan, kind, facts.ring)) {
    const dedupeKey = `${state.versionId}|${kind}|${facts.ring ?? '-'}|${occurrence}|route${index}`;
    if (state.notified.includes(dedupeKey)) continue;
    state.notified.push(dedupeKey);
    out.push(notifyCommand(route, kind, dedupeKey, { version: state.version, versionId: state.versionId, ...facts }));
  }
  return out;
}

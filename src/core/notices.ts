/**
 * Turning a notice into `notify` commands, one per matching route, each at most once per release.
 */
import type { NoticeKind } from './plan';
import type { Command, NoticeFacts, ReleaseState } from './types';

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
  state.plan.notify.forEach((route, index) => {
    if (!route.on.includes(kind)) return;
    if (route.rings && facts.ring !== undefined && !route.rings.includes(facts.ring)) return;
    const channel = route.teams !== undefined ? 'teams' : 'slack';
    const secretName = (route.teams ?? route.slack)!;
    const dedupeKey = `${state.versionId}|${kind}|${facts.ring ?? '-'}|${occurrence}|route${index}`;
    if (state.notified.includes(dedupeKey)) return;
    state.notified.push(dedupeKey);
    out.push({
      kind: 'notify',
      channel,
      secretName,
      notice: kind,
      dedupeKey,
      facts: { version: state.version, versionId: state.versionId, ...facts },
      cause: facts.reason,
    });
  });
  return out;
}

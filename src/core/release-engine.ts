/**
 * The release engine: `decide(state, event, now) -> { state, commands, cause }`.
 *
 * Total and deterministic: any event in any state yields a new state and a list of commands, and the
 * same inputs always yield the same outputs. No I/O, no clock (time is the `now` argument), no
 * randomness. Each call is one reconcile pass in a fixed order:
 *   1. apply the event (an observation, an operator action or a wake-up) to a copy of the state;
 *   2. if it is evidence of a breach, demote in this same decision (demote, cancel, then notify);
 *   3. keep the version contained: every target region outside the open rings stays excluded from latest;
 *   4. move the current ring forward as far as the facts allow (open → upgraded → soaked → next ring);
 *   5. schedule the next wake-up the state needs (end of soak, end of a hold, upgrade timeout).
 * Every phase change is recorded in `state.transitions` with its cause.
 */
import { chooseChunk } from './budget';
import { parseDuration } from './duration';
import { assessInstances, assessUpgrade, UPGRADED_BREACH_CODE, unhealthyUpgradedPercent, WHOLE_SET_CODE } from './health';
import { noticeCommands } from './notices';
import { pollCadence } from './polling';
import { arePaired } from './region-pairs';
import type { NoticeKind } from './plan';
import { compareVersions, isTerminal, openRegions, ringIndexOf, scaleSetsIn, trackingSetsIn, tracksLatest } from './release-state';
import type { Command, Decision, NoticeFacts, Phase, ReleaseEvent, ReleaseState } from './types';
import { nextHoldStart, openingVerdict } from './windows';

interface Ctx {
  d: ReleaseState;
  out: Command[];
  now: Date;
  at: string;
  /** Whether `d.scaleSets` is already this decision's own copy (copied on the first write: it can hold thousands). */
  ownSets: boolean;
}

/** Decides what to do about `event` in `state` at `now`. Never throws for any event. */
export function decide(state: ReleaseState, event: ReleaseEvent, now: Date): Decision {
  const { state: next, decisions } = decideAll(state, [event], now);
  return { state: next, commands: decisions[0]!.commands, cause: decisions[0]!.cause };
}

/**
 * Decides about several events observed at the same `now`, in order: exactly what folding `decide` over
 * them gives (a property test says so), but on one copy of the state — a round that observes hundreds of
 * scale sets does not copy the fleet once per observation.
 */
export function decideAll(state: ReleaseState, events: readonly ReleaseEvent[], now: Date): { state: ReleaseState; decisions: { commands: Command[]; cause: string }[] } {
  const ctx: Ctx = { d: draft(state, now), out: [], now, at: now.toISOString(), ownSets: false };
  const decisions: { commands: Command[]; cause: string }[] = [];
  for (const event of events) {
    ctx.out = [];
    const cause = apply(ctx, event);
    if (!isTerminal(ctx.d.phase)) {
      contain(ctx);
      for (let i = 0; i < ctx.d.rings.length * 5 + 4 && step(ctx); i++);
    }
    decisions.push({ commands: ctx.out, cause });
  }
  // Once, for the state the events left: the wake depends on that state alone (a hold's wake is set in the hold,
  // and entering `held` drops the previous phase's), so this is what scheduling after every event would leave.
  scheduleWake(ctx);
  return { state: ctx.d, decisions };
}

/** A copy of the state that this decision may change without touching the caller's. */
function draft(s: ReleaseState, now: Date): ReleaseState {
  return {
    ...s,
    updatedAt: now.toISOString(),
    rings: s.rings.map((r) => ({ ...r, opened: { ...r.opened }, upgraded: { ...r.upgraded } })),
    targetRegions: { ...s.targetRegions },
    replication: { ...s.replication },
    alertsFiring: [...s.alertsFiring],
    gatesFailing: [...s.gatesFailing],
    notified: [...s.notified],
    findings: [...(s.findings ?? [])],
    transitions: [...s.transitions],
  };
}

// ------------------------------------------------------------------------------------------ 1. events

function apply(ctx: Ctx, e: ReleaseEvent): string {
  const { d } = ctx;
  switch (e.kind) {
    case 'version-published': {
      if (!sameId(e.versionId, d.versionId)) return `ignored: event for another version (${e.versionId})`;
      for (const t of e.targetRegions) d.targetRegions[t.name] = { excludeFromLatest: t.excludeFromLatest };
      if (e.excludeFromLatest && !d.demotion && !isTerminal(d.phase)) {
        demote(ctx, 'the version was excluded from latest outside Ringmaster', 'azure', {}, false);
        return 'version excluded from latest outside Ringmaster: recorded as demoted';
      }
      if (e.newestOtherVersion && compareVersions(d.version, e.newestOtherVersion) < 0 && !d.rings.some((r) => Object.keys(r.opened).length > 0) && !isTerminal(d.phase)) {
        const why = `${d.version} sorts below ${e.newestOtherVersion}, the newest version of the image: it can never become latest`;
        setPhase(ctx, 'failed', why);
        notify(ctx, 'failed', { reason: why, nextStep: `Publish a version above ${e.newestOtherVersion}; nothing was opened.` });
        return why;
      }
      if (d.phase === 'pending') {
        setPhase(ctx, 'staging', 'version published');
        notify(ctx, 'started', { reason: `${d.version} was published`, nextStep: 'Ringmaster opens the first ring when it is ready.' });
      }
      return 'version observed';
    }
    case 'fleet-observed': {
      const regions = new Set(d.rings.flatMap((r) => r.regions));
      for (const s of e.scaleSets) {
        if (!regions.has(s.region)) continue;
        const prev = d.scaleSets[s.id];
        writeSet(ctx, s.id, { ...prev, region: s.region, capacity: s.capacity, pinnedVersion: s.pinnedVersion });
      }
      d.fleetByRegion = {};
      for (const [id, s] of Object.entries(d.scaleSets)) (d.fleetByRegion[s.region] ??= []).push(id);
      d.fleetObserved = true;
      return `fleet observed: ${e.scaleSets.length} scale sets`;
    }
    case 'replication-observed': {
      if (!sameId(e.versionId, d.versionId)) return `ignored: replication of another version (${e.versionId})`;
      if (ringIndexOf(d, e.region) < 0) return `ignored: ${e.region} is in no ring`;
      d.replication[e.region] = e.state;
      return `replication to ${e.region}: ${e.state}`;
    }
    case 'rolling-upgrade-observed':
      return applyUpgrade(ctx, e);
    case 'instances-observed':
      return applyInstances(ctx, e);
    case 'alert':
      return applyAlert(ctx, e);
    case 'gate-observed':
      return applyGate(ctx, e);
    case 'wake-up':
      return 'woke up';
    case 'operator':
      return applyOperator(ctx, e);
    case 'superseded':
      return handOver(ctx, e.byVersionId);
  }
}

/** How long a superseded release keeps watching where it ran, at least (a slow burn shows within it). */
const HANDOVER_WATCH_MS = 30 * 60_000;

/**
 * A newer version of the same image started its release. This one opens no more rings; every region where it
 * has not passed is excluded from latest again (so no new instance takes it) and its rolling upgrades there are
 * cancelled; where it ran, it is still watched for the current ring's soak (at least 30 minutes): a fault or
 * instance evidence against it still demotes it. Regions of rings that passed keep it until the newer version
 * replaces it there.
 */
function handOver(ctx: Ctx, byVersionId: string): string {
  const { d } = ctx;
  if (isTerminal(d.phase) || d.phase === 'handing-over') return `ignored: release already ${d.phase}`;
  const newer = byVersionId.split('/').at(-1) ?? byVersionId;
  const unpassed = d.rings.filter((r) => !r.passedAt).flatMap((r) => Object.keys(r.opened)).sort();
  cancelInFlight(ctx, `superseded by ${newer}`);
  const exposed = unpassed.filter((r) => d.targetRegions[r] && !d.targetRegions[r]!.excludeFromLatest);
  if (exposed.length > 0) {
    for (const r of exposed) d.targetRegions[r] = { excludeFromLatest: true };
    ctx.out.push({ kind: 'set-regional-exclude', versionId: d.versionId, regions: exposed, excludeFromLatest: true, cause: `superseded by ${newer}: ${exposed.join(', ')} not passed` });
  }
  const soak = parseDuration(d.plan.rings[d.ring]?.soak ?? '0s') ?? 0;
  const until = new Date(ctx.now.getTime() + Math.max(HANDOVER_WATCH_MS, soak)).toISOString();
  d.handover = { at: ctx.at, byVersionId, until };
  d.waitingFor = `superseded by ${newer}: watching where it ran until ${until}`;
  setPhase(ctx, 'handing-over', `superseded by ${newer}`);
  notify(ctx, 'superseded', {
    reason: `a newer version (${newer}) started its release`,
    nextStep: `${exposed.length ? `${exposed.join(', ')} no longer take${exposed.length === 1 ? 's' : ''} ${d.version}. ` : ''}Ringmaster watches ${d.version} where it ran until ${until}: a fault still demotes it.`,
  });
  return `superseded by ${newer}: handing over`;
}

function applyUpgrade(ctx: Ctx, e: Extract<ReleaseEvent, { kind: 'rolling-upgrade-observed' }>): string {
  const { d } = ctx;
  const id = findScaleSet(d, e.scaleSetId);
  const set = id === undefined ? undefined : d.scaleSets[id];
  if (id === undefined || !set) return `ignored: ${e.scaleSetId} is not in the release's fleet`;
  if (e.versionId !== undefined && !sameId(e.versionId, d.versionId)) {
    // Remembered as known, so the watch list does not announce it again every round.
    writeSet(ctx, id, { ...set, ignoredUpgrade: { code: e.code, startTime: e.startTime, progress: e.progress } });
    return `ignored: upgrade on ${id} rolls out ${e.versionId.split('/').at(-1)}, another version`;
  }
  const ringIdx = ringIndexOf(d, set.region);
  const openedAt = d.rings[ringIdx]?.opened[set.region];
  if (!openedAt) return `ignored: ${set.region} is not open, so the upgrade on ${id} is not of this version`;
  if (e.startTime !== undefined && Date.parse(e.startTime) < Date.parse(openedAt)) {
    writeSet(ctx, id, { ...set, ignoredUpgrade: { code: e.code, startTime: e.startTime, progress: e.progress } });
    return `ignored: upgrade on ${id} started ${e.startTime}, before ${set.region} opened`;
  }
  if (d.handover && e.startTime !== undefined && Date.parse(e.startTime) >= Date.parse(d.handover.at)) {
    return `ignored: upgrade on ${id} started ${e.startTime}, after the hand-over to ${d.handover.byVersionId.split('/').at(-1)}: it is the newer version's`;
  }
  const prev = set.upgrade;
  const acknowledged = prev?.acknowledged && prev.code === e.code && prev.startTime === e.startTime;
  writeSet(ctx, id, {
    ...set,
    upgrade: { code: e.code, startTime: e.startTime, errorCode: e.errorCode, progress: e.progress, observedAt: ctx.at, acknowledged },
  });
  if (acknowledged || d.demotion || isTerminal(d.phase)) return `upgrade on ${id}: ${e.code}`;
  const verdict = assessUpgrade(d.plan, e, set.cancelledByUs === true);
  const total = e.progress.successful + e.progress.failed + e.progress.inProgress + e.progress.pending;
  const facts = {
    ring: d.rings[ringIdx]?.name,
    regions: [set.region],
    scaleSetId: id,
    errorCode: e.errorCode,
    unhealthyPercent: Math.round(unhealthyUpgradedPercent(e.progress) * 10) / 10,
    instances: { upgraded: e.progress.successful + e.progress.failed, failed: e.progress.failed, total },
  };
  const where = `${shortName(id)} (${set.region})`;
  // The platform's code says which threshold tripped, not why: instance evidence of this same moment decides.
  const evidence = set.evidence?.observedAt === ctx.at ? set.evidence : undefined;
  if (e.code === 'Faulted' && e.errorCode === UPGRADED_BREACH_CODE && evidence?.verdict === 'unrelated') {
    pause(ctx, `${where}: the platform reported ${UPGRADED_BREACH_CODE}, but ${evidence.cause}`, facts);
    return `paused: ${UPGRADED_BREACH_CODE} contradicted by instance evidence`;
  }
  if (e.code === 'Faulted' && e.errorCode === WHOLE_SET_CODE && evidence?.verdict === 'breached') {
    demote(ctx, `breach in ${where}: the platform reported ${WHOLE_SET_CODE}, and instance evidence shows the version is the cause: ${evidence.cause}`, 'ringmaster', facts, true);
    return `breach: ${WHOLE_SET_CODE} with instance evidence against the version`;
  }
  if (verdict.verdict === 'breached' || (verdict.verdict === 'whole-set' && d.plan.health.onWholeSetUnhealthy === 'demote')) {
    demote(ctx, `breach in ${where}: ${verdict.cause}`, 'ringmaster', facts, true);
    return `breach: ${verdict.cause}`;
  }
  if (verdict.verdict === 'whole-set' || verdict.verdict === 'inconclusive') {
    pause(ctx, `${where}: ${verdict.cause}`, facts);
    return `paused: ${verdict.cause}`;
  }
  return `upgrade on ${id}: ${verdict.cause}`;
}

/**
 * Instance evidence of one scale set in an open region (during the upgrade and through the soak): a breach
 * demotes — also after the set's rolling upgrade Completed (a slow burn); an outage that hits both versions
 * alike pauses and asks. Recorded on the set, so the platform's error code of the same round is weighed
 * against it.
 */
function applyInstances(ctx: Ctx, e: Extract<ReleaseEvent, { kind: 'instances-observed' }>): string {
  const { d } = ctx;
  const id = findScaleSet(d, e.scaleSetId);
  const set = id === undefined ? undefined : d.scaleSets[id];
  if (id === undefined || !set) return `ignored: ${e.scaleSetId} is not in the release's fleet`;
  if (!d.rings[ringIndexOf(d, set.region)]?.opened[set.region]) return `ignored: ${set.region} is not open, so ${shortName(id)}'s instances say nothing of this version`;
  const verdict = assessInstances(d.plan.health.maxUnhealthyUpgradedInstancePercent, d.version, e.instances);
  const allOnVersion = e.instances.length > 0 && e.instances.every((i) => i.version === d.version);
  writeSet(ctx, id, { ...set, evidence: { ...verdict, observedAt: ctx.at, ...(allOnVersion ? { allOnVersion } : {}) } });
  if (d.demotion || isTerminal(d.phase)) return `instances of ${shortName(id)}: ${verdict.cause}`;
  const where = `${shortName(id)} (${set.region})`;
  const onVersion = e.instances.filter((i) => i.version === d.version);
  const facts = {
    ring: d.rings[ringIndexOf(d, set.region)]?.name,
    regions: [set.region],
    scaleSetId: id,
    instances: { upgraded: onVersion.length, failed: onVersion.filter((i) => i.health === 'unhealthy').length, total: e.instances.length },
  };
  if (verdict.verdict === 'breached' && d.plan.health.breachOn.includes('unhealthy-percent')) {
    demote(ctx, `instance evidence in ${where}: ${verdict.cause}`, 'ringmaster', facts, true);
    return `breach: ${verdict.cause}`;
  }
  if (verdict.verdict === 'unrelated' && (d.phase === 'upgrading' || d.phase === 'soaking' || d.phase === 'opening')) {
    pause(ctx, `${where}: ${verdict.cause}`, facts);
    return `paused: ${verdict.cause}`;
  }
  return `instances of ${shortName(id)}: ${verdict.cause}`;
}

function applyAlert(ctx: Ctx, e: Extract<ReleaseEvent, { kind: 'alert' }>): string {
  const { d } = ctx;
  const open = openRegions(d);
  // Only the rules the plan names are gates (by name, or the last segment of the rule's id). Any other alert —
  // another team's rule on a set in an open region, the deployed activity-log alert on any failed OS upgrade —
  // only makes the release look at ARM again (the orchestrator re-reads it every round).
  const name = e.alertRule.split('/').at(-1)?.toLowerCase() ?? '';
  const rule = d.plan.health.alerts.find((a) => a.toLowerCase() === name || a.toLowerCase() === e.alertRule.toLowerCase());
  if (rule === undefined) return `alert ${e.alertRule} is not a gate of this plan: evidence only, ARM is read again`;
  if (e.state === 'resolved') {
    d.alertsFiring = d.alertsFiring.filter((a) => a !== rule);
    return `alert ${rule} resolved`;
  }
  if (!d.alertsFiring.includes(rule)) d.alertsFiring.push(rule);
  if (open.size > 0 && d.plan.health.breachOn.includes('alert') && !d.demotion && !isTerminal(d.phase)) {
    demote(ctx, `alert ${rule} fired while the version is rolling out`, 'ringmaster', { ring: d.rings[d.ring]?.name }, true);
    return `breach: alert ${rule} fired`;
  }
  return `alert ${rule} fired: holding the next ring until it resolves`;
}

function applyGate(ctx: Ctx, e: Extract<ReleaseEvent, { kind: 'gate-observed' }>): string {
  const { d } = ctx;
  const gate = d.plan.health.metrics.find((m) => m.name === e.gate);
  if (!gate) return `ignored: no metric gate named ${e.gate}`;
  const failing = e.value === null || compare(e.value, gate.operator, gate.threshold);
  d.gatesFailing = d.gatesFailing.filter((g) => g !== e.gate);
  if (!failing) return `gate ${e.gate} met (${e.value})`;
  d.gatesFailing.push(e.gate);
  if (e.value === null) return `gate ${e.gate} inconclusive (no data): holding the next ring`;
  const why = `metric gate ${e.gate}: ${gate.metric} = ${e.value}, ${gate.operator} ${gate.threshold}`;
  if (openRegions(d).size > 0 && d.plan.health.breachOn.includes('metric') && !d.demotion && !isTerminal(d.phase)) {
    demote(ctx, why, 'ringmaster', { ring: d.rings[d.ring]?.name }, true);
    return `breach: ${why}`;
  }
  return `${why}: holding the next ring`;
}

function applyOperator(ctx: Ctx, e: Extract<ReleaseEvent, { kind: 'operator' }>): string {
  const { d } = ctx;
  const who = `${e.actor}${e.reason ? ` (${e.reason})` : ''}`;
  if (e.action === 'demote') {
    if (d.demotion) return 'refused: already demoted';
    demote(ctx, `demoted by ${who}`, e.actor, { ring: d.rings[d.ring]?.name }, !isTerminal(d.phase));
    return `demoted by ${who}`;
  }
  if (isTerminal(d.phase)) return `refused: the release is ${d.phase}${d.phase === 'demoted' ? '; a demoted version is never promoted by Ringmaster, restore it deliberately in Azure' : ''}`;
  const ring = d.rings[d.ring];
  switch (e.action) {
    case 'pause':
      if (d.phase === 'paused') return 'refused: already paused';
      pause(ctx, `paused by ${who}`, { ring: ring?.name });
      return `paused by ${who}`;
    case 'resume':
      if (d.phase !== 'paused') return `refused: not paused (${d.phase})`;
      // The operator judged the stop unrelated to this version. Azure does not retry an automatic
      // upgrade that failed on a version, so start the OS upgrade again where one stopped (open regions only).
      for (const region of openRegions(d)) {
        const openRing = d.rings[ringIndexOf(d, region)];
        if (openRing?.upgraded[region]) continue;
        // An empty region held the release for a person: resuming is their decision to let it pass.
        if (openRing && d.replication[region] === 'Completed' && trackingSetsIn(d, region).length === 0) {
          openRing.upgraded[region] = ctx.at;
          continue;
        }
        for (const id of scaleSetsIn(d, region)) {
          const s = d.scaleSets[id]!;
          if (!s.upgrade || s.upgrade.code === 'Completed' || s.upgrade.code === 'RollingForward') continue;
          writeSet(ctx, id, { ...s, upgrade: { ...s.upgrade, acknowledged: true }, cancelledByUs: false });
          ctx.out.push({ kind: 'start-os-upgrade', scaleSetId: id, region, cause: `resumed by ${who}: restart the OS upgrade that stopped (${s.upgrade.errorCode ?? s.upgrade.code})` });
        }
      }
      setPhase(ctx, d.pausedFrom ?? 'staging', `resumed by ${who}`);
      d.pausedFrom = undefined;
      d.waitingFor = undefined;
      notify(ctx, 'resumed', { ring: ring?.name, reason: `resumed by ${who}`, nextStep: 'Ringmaster carries on where it stopped.' }, d.transitions.length);
      return `resumed by ${who}`;
    case 'promote': {
      if (!ring) return 'refused: nothing to promote yet';
      if (d.phase === 'soaking') {
        ring.soakUntil = ctx.at;
        ring.promotedBy = e.actor;
        return `soak of ${ring.name} ended early by ${who}`;
      }
      return `refused: nothing to promote while ${d.phase}`;
    }
    case 'approve': {
      const planRing = d.plan.rings[d.ring];
      if (!ring || d.phase !== 'awaiting-approval') return `refused: nothing awaits an approval (${d.phase})`;
      if (planRing?.approval !== 'required' || ring.approvedBy) return `refused: ${ring.name} waits for a fleet budget approval (${d.waitingFor ?? 'budget'}); lift the budget with approve-budget`;
      const barred = barredApprovers(d).find((b) => b.actor === e.actor);
      if (barred) return `refused: four eyes — ${e.actor} ${barred.did} ${barred.ring}; someone else must approve ${ring.name}`;
      ring.approvedBy = e.actor;
      setPhase(ctx, 'held', `${ring.name} approved by ${who}`);
      return `${ring.name} approved by ${who}`;
    }
    case 'approve-budget': {
      if (!ring) return 'refused: no ring to lift the budget for yet';
      if (d.phase === 'awaiting-approval' && d.plan.rings[d.ring]?.approval === 'required' && !ring.approvedBy) return `refused: ${ring.name} awaits its plan's approval, not a budget approval; use approve`;
      if (ring.budgetApprovedBy) return `refused: the fleet budget of ${ring.name} was already lifted by ${ring.budgetApprovedBy}`;
      ring.budgetApprovedBy = e.actor;
      if (d.phase === 'awaiting-approval') setPhase(ctx, 'held', `fleet budget lifted for ${ring.name} by ${who}`);
      return `fleet budget lifted for ${ring.name} by ${who}`;
    }
    default:
      return `refused: unknown operator action ${String(e.action)}`;
    case 'abort': {
      cancelInFlight(ctx, `aborted by ${who}`);
      setPhase(ctx, 'aborted', `aborted by ${who}`);
      notify(ctx, 'aborted', { ring: ring?.name, reason: `aborted by ${who}`, nextStep: 'The version stays where it reached; demote it to take it out of latest.' });
      return `aborted by ${who}`;
    }
  }
}

// --------------------------------------------------------------------------------- 2. safety actions

/** Demote: version-level excludeFromLatest first, then cancel what is rolling, then tell people. */
function demote(ctx: Ctx, cause: string, by: string, facts: Partial<NoticeFacts>, issueCommand: boolean): void {
  const { d } = ctx;
  if (d.demotion) return;
  d.demotion = { at: ctx.at, cause, by };
  if (issueCommand) ctx.out.push({ kind: 'demote-version', versionId: d.versionId, cause });
  cancelInFlight(ctx, cause);
  setPhase(ctx, 'demoted', cause);
  notify(ctx, 'demoted', {
    ...facts,
    reason: cause,
    nextStep: 'No region takes this version any more. Fix the image and publish a new version (or run the rebake); restore this one only deliberately.',
  });
}

/** Cancel the rolling upgrades of this version that may still be running in open regions. */
function cancelInFlight(ctx: Ctx, cause: string): void {
  const { d } = ctx;
  for (const region of openRegions(d)) {
    const ring = d.rings[ringIndexOf(d, region)];
    if (ring?.upgraded[region]) continue;
    for (const id of scaleSetsIn(d, region)) {
      const s = d.scaleSets[id]!;
      const code = s.upgrade?.code;
      if (code === 'Completed' || code === 'Faulted' || code === 'Cancelled' || s.cancelledByUs) continue;
      writeSet(ctx, id, { ...s, cancelledByUs: true });
      ctx.out.push({ kind: 'cancel-rolling-upgrade', scaleSetId: id, region, cause });
    }
  }
}

function pause(ctx: Ctx, cause: string, facts: Partial<NoticeFacts>): void {
  const { d } = ctx;
  // A release handing over opens nothing any more: there is nothing to hold; the cause is in the decision.
  if (d.phase === 'paused' || d.phase === 'handing-over') return;
  d.pausedFrom = d.phase;
  d.waitingFor = cause;
  setPhase(ctx, 'paused', cause);
  notify(ctx, 'paused', { ...facts, reason: cause, nextStep: 'Look at the scale set; resume the release if the cause is unrelated to this version, or demote it.' }, d.transitions.length);
}

// ------------------------------------------------------------------------------------- 3. containment

/**
 * A region outside the open rings must not take the version: if ARM says it is targeted and not
 * excluded (e.g. the pipeline published without the plan's convention), exclude it now.
 */
function contain(ctx: Ctx): void {
  const { d } = ctx;
  if (d.phase === 'pending' || d.demotion) return;
  const open = openRegions(d);
  const leaking = Object.entries(d.targetRegions)
    .filter(([region, t]) => !t.excludeFromLatest && !open.has(region))
    .map(([region]) => region)
    .sort();
  if (leaking.length === 0) return;
  for (const r of leaking) d.targetRegions[r] = { excludeFromLatest: true };
  ctx.out.push({
    kind: 'set-regional-exclude',
    versionId: d.versionId,
    regions: leaking,
    excludeFromLatest: true,
    cause: `contain: ${leaking.join(', ')} ${leaking.length === 1 ? 'is' : 'are'} not in an open ring`,
  });
}

// ------------------------------------------------------------------------------------- 4. progression

/**
 * One step of progression; returns true when it changed the phase or the ring (so another step may follow: a ring
 * that passed its soak is `held` for the next ring, which the next step tries to open). Rings open in one place,
 * through the opening gates.
 */
function step(ctx: Ctx): boolean {
  const before = `${ctx.d.phase}/${ctx.d.ring}`;
  switch (ctx.d.phase) {
    case 'staging':
      ctx.d.ring = 0;
      tryOpen(ctx);
      break;
    case 'held':
      tryOpen(ctx);
      break;
    case 'opening':
    case 'upgrading':
      // Every open region upgraded but the budget left some of the ring closed: open the next part.
      if (!holdOpenRegions(ctx) && ringWork(ctx) === 'open-more') tryOpen(ctx);
      break;
    case 'soaking':
      soak(ctx);
      break;
    case 'handing-over':
      if (ctx.d.handover && ctx.now.getTime() >= Date.parse(ctx.d.handover.until)) {
        ctx.d.waitingFor = undefined;
        setPhase(ctx, 'superseded', `hand-over to ${ctx.d.handover.byVersionId.split('/').at(-1)} complete: no fault of ${ctx.d.version} while it was watched`);
      }
      break;
    default:
      return false;
  }
  return before !== `${ctx.d.phase}/${ctx.d.ring}`;
}

/**
 * What one opening gate says about the current ring (Kargo's decision shape): `allow` (with the regions to open,
 * from the budget gate), `wait` until a time or an observation (`hold`: the release is `held`; with `nextStep`,
 * the owners are told), or `ask` a person (the release awaits approval).
 */
export type GateVerdict =
  | { kind: 'allow'; regions?: string[] }
  | { kind: 'wait'; reason: string; hold: boolean; until?: Date; nextStep?: string }
  | { kind: 'ask'; reason: string; nextStep: string };

type Gate = (d: ReleaseState, now: Date) => GateVerdict;

const ALLOW: GateVerdict = { kind: 'allow' };

/** An approval ring opens only once an operator approved it. */
const approvalGate: Gate = (d) =>
  d.plan.rings[d.ring]?.approval === 'required' && !d.rings[d.ring]!.approvedBy
    ? { kind: 'ask', reason: `${d.rings[d.ring]!.name} requires an operator's approval`, nextStep: 'Approve the ring to open it.' }
    : ALLOW;

/** Rings open inside the plan's windows and outside its freezes. */
const windowGate: Gate = (d, now) => {
  const verdict = openingVerdict(d.plan, now);
  if (verdict.allowed) return ALLOW;
  return { kind: 'wait', hold: true, reason: `${d.rings[d.ring]!.name} held: ${verdict.reason}`, until: verdict.nextCheckAt, nextStep: `Ringmaster opens it at ${verdict.nextCheckAt.toISOString()} or later.` };
};

/** Without the fleet, "every scale set upgraded" would be vacuously true: never open blind. */
const fleetGate: Gate = (d) => (d.fleetObserved ? ALLOW : { kind: 'wait', hold: true, reason: `${d.rings[d.ring]!.name} held: waiting for a fleet read` });

/** The fleet budget: which of the ring's closed regions may open now, if any. */
const budgetGate: Gate = (d) => {
  const chunk = chooseChunk(d, d.ring, d.rings[d.ring]!.budgetApprovedBy !== undefined);
  if (chunk.kind === 'open') return { kind: 'allow', regions: chunk.regions };
  if (chunk.kind === 'needs-approval') return { kind: 'ask', reason: chunk.reason, nextStep: 'Lift the fleet budget for this ring with approve-budget, or raise the budget in the plan.' };
  return { kind: 'wait', hold: false, reason: chunk.reason };
};

/** The gates a ring passes before (part of) it opens, in order: the first that does not allow decides. */
export const OPENING_GATES: readonly Gate[] = [approvalGate, windowGate, fleetGate, budgetGate];

/** Opens what the opening gates allow of the current ring, or waits or asks as the first gate that does not allow says. */
function tryOpen(ctx: Ctx): void {
  const { d } = ctx;
  let regions: string[] = [];
  for (const gate of OPENING_GATES) {
    const v = gate(d, ctx.now);
    if (v.kind === 'allow') {
      regions = v.regions ?? regions;
      continue;
    }
    if (v.kind === 'ask') return wait(ctx, 'awaiting-approval', 'awaiting-approval', v.reason, v.nextStep);
    if (!v.hold) {
      d.waitingFor = v.reason;
      return;
    }
    wait(ctx, 'held', v.nextStep ? 'held' : undefined, v.reason, v.nextStep ?? '');
    if (v.until) d.wakeAt = v.until.toISOString();
    return;
  }
  openRegionsNow(ctx, regions);
}

function wait(ctx: Ctx, phase: Phase, notice: NoticeKind | undefined, reason: string, nextStep: string): void {
  const { d } = ctx;
  d.waitingFor = reason;
  if (d.phase === phase) return;
  setPhase(ctx, phase, reason);
  if (notice) notify(ctx, notice, { ring: d.rings[d.ring]?.name, regions: d.rings[d.ring]?.regions, reason, nextStep }, d.ring);
}

/** Pull the plan's lever for `regions` of the current ring. */
function openRegionsNow(ctx: Ctx, regions: string[]): void {
  const { d } = ctx;
  const ring = d.rings[d.ring]!;
  const cause = `open ${ring.name}: ${regions.join(', ')}`;
  const untargeted = regions.filter((r) => !d.targetRegions[r]);
  const excluded = regions.filter((r) => d.targetRegions[r]?.excludeFromLatest);
  if (untargeted.length > 0) ctx.out.push({ kind: 'set-target-regions', versionId: d.versionId, addRegions: untargeted, cause });
  if (excluded.length > 0) {
    ctx.out.push({ kind: 'set-regional-exclude', versionId: d.versionId, regions: excluded, excludeFromLatest: false, cause });
  }
  for (const r of regions) {
    d.targetRegions[r] = { excludeFromLatest: false };
    ring.opened[r] = ctx.at;
  }
  // A ring that holds an Azure pair (allowPairedRegions) opens its halves one after the other (budget.ts): say so.
  for (const r of ring.regions.filter((x) => !ring.opened[x])) {
    const partner = regions.find((x) => arePaired(x, r));
    if (partner) finding(ctx, `${partner} and ${r} are an Azure region pair: ${r} opens once ${partner}'s upgrades completed healthy`);
  }
  d.waitingFor = undefined;
  setPhase(ctx, 'opening', cause);
  notify(ctx, 'ring-opened', { ring: ring.name, regions, reason: cause, nextStep: 'Azure rolls the version out in health-gated batches; Ringmaster watches.' }, Object.keys(ring.opened).length);
}

/** Replication, upgrades and timeouts of the current ring's open regions; `open-more` when the budget left regions closed. */
function ringWork(ctx: Ctx): 'open-more' | undefined {
  const { d } = ctx;
  const ring = d.rings[d.ring]!;
  const planRing = d.plan.rings[d.ring]!;
  const timeout = parseDuration(d.plan.health.upgradeTimeout) ?? 0;
  let allReplicated = true;
  for (const [region, openedAt] of Object.entries(ring.opened)) {
    if (ring.upgraded[region]) continue;
    const rep = d.replication[region] ?? 'Unknown';
    if (rep === 'Failed') {
      pause(ctx, `replication of ${d.version} to ${region} failed`, { ring: ring.name, regions: [region] });
      notify(ctx, 'failed', { ring: ring.name, regions: [region], reason: `replication to ${region} failed`, nextStep: 'Check the gallery replication status; resume to retry, or abort.' }, d.transitions.length);
      return;
    }
    if (rep !== 'Completed') {
      allReplicated = false;
    } else {
      // The region's sets are listed once per step; the pinned ones are named as findings, never waited for.
      const all = scaleSetsIn(d, region);
      const sets = all.filter((id) => tracksLatest(d, id));
      for (const id of sets.length === all.length ? [] : all) {
        const pinned = d.scaleSets[id]?.pinnedVersion;
        if (pinned !== undefined) finding(ctx, `${shortName(id)} pins ${pinned}: it never takes ${d.version} and is not waited for`);
      }
      if (sets.length === 0) {
        const empty = `${region} has no scale set of the plan that tracks latest: it proves nothing about ${d.version}`;
        if (d.plan.health.emptyRing === 'skip') {
          finding(ctx, `${empty}; skipped as the plan says`);
          ring.upgraded[region] = ctx.at;
          continue;
        }
        if (d.plan.health.emptyRing === 'fail') {
          setPhase(ctx, 'failed', empty);
          notify(ctx, 'failed', { ring: ring.name, regions: [region], reason: empty, nextStep: 'Add a scale set that tracks latest to the region, or change health.emptyRing.' });
          return;
        }
        pause(ctx, `${empty}; resume to let ${ring.name} pass without it`, { ring: ring.name, regions: [region] });
        return;
      }
      if (planRing.startOsUpgrade) startUpgrades(ctx, region, sets);
      else if (d.plan.drive === 'on') drive(ctx, region, sets);
      if (sets.every((id) => upgradedTo(d.scaleSets[id]))) {
        ring.upgraded[region] = ctx.at;
        continue;
      }
    }
    if (timeout > 0 && ctx.now.getTime() - Date.parse(openedAt) >= timeout) {
      pause(ctx, `${region}: no completed upgrade ${d.plan.health.upgradeTimeout} after it opened (inconclusive)`, { ring: ring.name, regions: [region] });
      return;
    }
  }
  if (allReplicated && d.phase === 'opening') setPhase(ctx, 'upgrading', `${ring.name}: replicated to every open region`);
  const opened = Object.keys(ring.opened);
  if (opened.length === 0 || !opened.every((r) => ring.upgraded[r])) return;
  if (opened.length < ring.regions.length) return 'open-more';
  ring.upgradedAt = ctx.at;
  ring.soakUntil = new Date(ctx.now.getTime() + (parseDuration(planRing.soak) ?? 0)).toISOString();
  setPhase(ctx, 'soaking', `${ring.name}: every scale set upgraded; soaking ${planRing.soak}`);
}

/**
 * A set has taken the version: its rolling upgrade to it Completed, or every instance already runs it and is healthy
 * (a set created, or scaled from nothing, after the region opened starts on the version and never needs an upgrade).
 */
function upgradedTo(set: ReleaseState['scaleSets'][string] | undefined): boolean {
  return set?.upgrade?.code === 'Completed' || (set?.evidence?.allOnVersion === true && set.evidence.verdict === 'healthy');
}

/**
 * A freeze, or the end of a window, while regions of the current ring are open: the platform would still pick
 * the version up (30–60 minutes after a region can see it), so every open region whose scale sets have not
 * started upgrading is excluded from latest again, and opened again when the hold ends (the `held` path). A
 * region already rolling is left: the gates still judge it. Returns true when it took the ring back.
 */
function holdOpenRegions(ctx: Ctx): boolean {
  const { d } = ctx;
  const verdict = openingVerdict(d.plan, ctx.now);
  if (verdict.allowed) return false;
  const ring = d.rings[d.ring]!;
  const idle = Object.entries(ring.opened)
    .filter(([region, openedAt]) => !ring.upgraded[region] && trackingSetsIn(d, region).every((id) => !startedSince(d.scaleSets[id]?.upgrade?.startTime, openedAt)))
    .map(([region]) => region)
    .sort();
  if (idle.length === 0) return false;
  for (const r of idle) {
    delete ring.opened[r];
    d.targetRegions[r] = { excludeFromLatest: true };
  }
  ctx.out.push({ kind: 'set-regional-exclude', versionId: d.versionId, regions: idle, excludeFromLatest: true, cause: `${verdict.reason}: ${idle.join(', ')} taken back before the platform picks ${d.version} up` });
  if (Object.keys(ring.opened).length > 0) return false;
  wait(ctx, 'held', 'held', `${ring.name} held: ${verdict.reason}; ${idle.join(', ')} taken back until then`, `Ringmaster opens it again at ${verdict.nextCheckAt.toISOString()} or later.`);
  d.wakeAt = verdict.nextCheckAt.toISOString();
  return true;
}

function startedSince(startTime: string | undefined, openedAt: string): boolean {
  return startTime !== undefined && Date.parse(startTime) >= Date.parse(openedAt);
}

/**
 * Drive mode: start the OS upgrades of an open, replicated region now rather than wait for the platform's pickup.
 * The canary goes one-box first — the set the plan names (`firstScaleSet`), else its smallest tracking set — and
 * the rest of the canary once that set's first batch came back healthy (20 % of it, Azure's largest batch,
 * succeeded and none failed), or its upgrade Completed. Later rings do the same region by region: each open
 * region's smallest set first, its other sets once that first batch is healthy — a version bad only in a later
 * region then halts one set's first batch there, not every set's at once (the platform's own pickup, spread over
 * 30–60 minutes, would have staggered them).
 */
function drive(ctx: Ctx, region: string, sets: string[]): void {
  const { d } = ctx;
  const canary = d.ring === 0;
  // The canary's is chosen once, then kept: regions that open later do not change which set went first.
  const first = canary ? (d.rings[0]!.oneBox ??= oneBoxOf(d)) : (sets.find((id) => d.scaleSets[id]?.osUpgradeRequested) ?? smallestOf(d, sets));
  if (first === undefined) return;
  const set = d.scaleSets[first];
  const u = set?.upgrade;
  // Azure's batches are at most 20 % of the set: that many upgraded and healthy, none failed, is a healthy first batch.
  const firstBatch = Math.max(1, Math.ceil((set?.capacity ?? 0) * 0.2));
  const proven = u !== undefined && (u.code === 'Completed' || (u.code === 'RollingForward' && u.progress.failed === 0 && u.progress.successful >= firstBatch));
  if (!proven) {
    const why = () => (canary ? `one-box: ${shortName(first)} first, ${named(d, first) ? 'as the plan names it' : 'the smallest set of the canary'}` : `${shortName(first)} first in ${region}, the smallest set there`);
    if (sets.includes(first)) startUpgrades(ctx, region, [first], why);
    return;
  }
  startUpgrades(ctx, region, sets, () => `${canary ? "the canary's" : `${region}'s`} first set (${shortName(first)}) came back healthy from its first batch`);
}

/** The smallest of `sets` (then by id): the set a later ring's region starts first. */
function smallestOf(d: ReleaseState, sets: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const id of sets) {
    const size = best === undefined ? -1 : (d.scaleSets[id]?.capacity ?? 0) - (d.scaleSets[best]?.capacity ?? 0);
    if (best === undefined || size < 0 || (size === 0 && id.localeCompare(best) < 0)) best = id;
  }
  return best;
}

/** The canary's one-box: the set the plan names when it is open and tracks latest, else the smallest open one. */
function oneBoxOf(d: ReleaseState): string | undefined {
  const sets = Object.keys(d.rings[0]!.opened).flatMap((region) => trackingSetsIn(d, region));
  return sets.find((id) => named(d, id)) ?? smallestOf(d, sets);
}

function named(d: ReleaseState, id: string): boolean {
  const want = d.plan.rings[0]?.firstScaleSet?.toLowerCase();
  return want !== undefined && (id.toLowerCase() === want || shortName(id).toLowerCase() === want);
}

/** `why` is worded only when a set starts: this runs for every open region after every event. */
function startUpgrades(ctx: Ctx, region: string, sets: string[], why = () => `the plan starts OS upgrades in ${region}`): void {
  let cause: string | undefined;
  for (const id of sets) {
    const s = ctx.d.scaleSets[id]!;
    // A set already rolling (the platform picked the version up first) is adopted, not started again.
    if (s.osUpgradeRequested || s.upgrade?.code === 'RollingForward' || s.upgrade?.code === 'Completed') continue;
    writeSet(ctx, id, { ...s, osUpgradeRequested: true });
    ctx.out.push({ kind: 'start-os-upgrade', scaleSetId: id, region, cause: (cause ??= why()) });
  }
}

function soak(ctx: Ctx): void {
  const { d } = ctx;
  const ring = d.rings[d.ring]!;
  if (ring.soakUntil && ctx.now.getTime() < Date.parse(ring.soakUntil)) return;
  const blocking = [...d.alertsFiring.map((a) => `alert ${a} firing`), ...d.gatesFailing.map((g) => `gate ${g} not met`)];
  if (blocking.length > 0) {
    d.waitingFor = `${ring.name} soaked, but ${blocking.join(', ')}`;
    return;
  }
  ring.passedAt = ctx.at;
  d.waitingFor = undefined;
  notify(ctx, 'ring-passed', { ring: ring.name, regions: ring.regions, reason: `${ring.name} passed its gates`, nextStep: 'Ringmaster opens the next ring.' });
  if (d.ring === d.rings.length - 1) {
    setPhase(ctx, 'completed', `every ring passed`);
    notify(ctx, 'completed', { reason: `${d.version} reached every ring`, nextStep: 'Nothing.' });
    return;
  }
  d.ring += 1;
  // The next step opens it, through the opening gates.
  setPhase(ctx, 'held', `${ring.name} passed; next ring ${d.rings[d.ring]!.name}`);
}

// ------------------------------------------------------------------------------------------ 5. timing

/** The one wake-up channel: `state.wakeAt`, from which the orchestrator sets its durable timer. */
function scheduleWake(ctx: Ctx): void {
  ctx.d.wakeAt = desiredWake(ctx);
}

/**
 * When the release wants to look again with no signal: the end of its soak, hold or hand-over, an upgrade timeout, a
 * freeze ahead — and, while a ring soaks or its upgrades have started, the next instance evidence read
 * (`health.evidenceEvery`): a slow burn raises no event. Before any set of the ring took the version there is no
 * evidence to read (with `drive: off` the platform's pickup alone can take an hour).
 */
function desiredWake(ctx: Ctx): string | undefined {
  const { d } = ctx;
  const ring = d.rings[d.ring];
  const evidenceAt = ctx.now.getTime() + (parseDuration(d.plan.health.evidenceEvery) ?? 300_000);
  const earliest = (...times: (string | number | undefined)[]) => {
    const at = Math.min(...times.map((t) => (t === undefined ? Infinity : typeof t === 'number' ? t : Date.parse(t))));
    return Number.isFinite(at) ? new Date(at).toISOString() : undefined;
  };
  switch (d.phase) {
    case 'soaking':
      return earliest(ring?.soakUntil, evidenceAt);
    case 'handing-over':
      return d.handover?.until;
    case 'held':
      return d.wakeAt && Date.parse(d.wakeAt) > ctx.now.getTime() ? d.wakeAt : undefined;
    case 'opening':
    case 'upgrading': {
      const timeout = parseDuration(d.plan.health.upgradeTimeout) ?? 0;
      if (!ring) return undefined;
      const times = Object.entries(ring.opened)
        .filter(([r]) => !ring.upgraded[r])
        .map(([, t]) => (timeout > 0 ? Date.parse(t) + timeout : Infinity));
      // Evidence matters once instances run the version: a set of an open region has started its upgrade.
      const rolling = Object.keys(ring.opened).some((r) => (d.fleetByRegion[r] ?? []).some((id) => d.scaleSets[id]?.upgrade !== undefined));
      // Upgrades the platform started raise no event when they halt: poll them while their batches are judged.
      const poll = pollCadence(d).everyMs;
      // A freeze or a window's end ahead: look at the open regions then (they may have to be taken back).
      return earliest(nextHoldStart(d.plan, ctx.now)?.getTime(), rolling ? evidenceAt : undefined, poll === undefined ? undefined : ctx.now.getTime() + poll, ...times);
    }
    default:
      return undefined;
  }
}

// --------------------------------------------------------------------------------------------- helpers

/** Copy-on-write of the scale set map: the caller's state is never changed. */
function writeSet(ctx: Ctx, id: string, value: ReleaseState['scaleSets'][string]): void {
  if (!ctx.ownSets) {
    ctx.d.scaleSets = { ...ctx.d.scaleSets };
    ctx.ownSets = true;
  }
  ctx.d.scaleSets[id] = value;
}

function setPhase(ctx: Ctx, to: Phase, cause: string): void {
  const { d } = ctx;
  if (d.phase === to) return;
  d.transitions.push({ at: ctx.at, from: d.phase, to, ring: d.rings[d.ring]?.name, cause });
  d.phase = to;
  // A hold wakes when it says (its `until`), else at the orchestrator's idle poll; not at the previous phase's wake.
  if (to === 'held') delete d.wakeAt;
}

/** Records a fact about the fleet once (the ledger gets the decision's cause; the summary lists findings). */
function finding(ctx: Ctx, text: string): void {
  if (!ctx.d.findings.includes(text)) ctx.d.findings.push(text);
}

function notify(ctx: Ctx, kind: NoticeKind, facts: Omit<NoticeFacts, 'version' | 'versionId'>, occurrence = 0): void {
  ctx.out.push(...noticeCommands(ctx.d, kind, facts, occurrence));
}

function findScaleSet(d: ReleaseState, id: string): string | undefined {
  if (d.scaleSets[id]) return id;
  const lower = id.toLowerCase();
  return Object.keys(d.scaleSets).find((k) => k.toLowerCase() === lower);
}

function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Four eyes (plan `fourEyes`): who may not approve the current ring — whoever promoted or approved the one before. */
export function barredApprovers(d: ReleaseState): { actor: string; did: 'promoted' | 'approved'; ring: string }[] {
  const before = d.rings[d.ring - 1];
  if (!d.plan.fourEyes || !before) return [];
  return [
    ...(before.promotedBy ? [{ actor: before.promotedBy, did: 'promoted' as const, ring: before.name }] : []),
    ...(before.approvedBy && before.approvedBy !== before.promotedBy ? [{ actor: before.approvedBy, did: 'approved' as const, ring: before.name }] : []),
  ];
}

function shortName(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1);
}

function compare(value: number, op: '>' | '>=' | '<' | '<=', threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

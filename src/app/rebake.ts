/**
 * Monthly rebakes. The timer runs each plan's Image Builder template; the new gallery version it publishes
 * starts its own release through the version write event. Image Builder raises no event when a build ends,
 * so the watcher reads each template's last run and tells the plan's routes when one failed (a customizer
 * that fails, an identity that was denied) or succeeded. The ledger remembers which runs were announced,
 * so a cold start does not announce one twice.
 */
import { toErrorMessage } from '../azure/errors';
import { planNoticeCommands, planName, type NoticeKind, type ReleasePlan } from '../core';
import type { ReleasePorts } from './ports';

const FAILED = ['Failed', 'Canceled'];
const SUCCEEDED = ['Succeeded', 'PartiallySucceeded'];

/** Starts every plan's rebake; a template that cannot start is announced as a failed rebake. */
export async function startRebakes(plans: ReleasePlan[], ports: ReleasePorts, now: Date, log: (m: string) => void): Promise<number> {
  let started = 0;
  for (const plan of plans) {
    if (!plan.rebake) continue;
    try {
      await ports.execute({ kind: 'start-rebake', imageTemplateId: plan.rebake.imageTemplate, cause: 'monthly rebake' });
      started++;
      log(`monthlyRebake: started ${plan.rebake.imageTemplate}; its new version will start its own release`);
    } catch (err) {
      const why = toErrorMessage(err);
      log(`monthlyRebake: ${plan.rebake.imageTemplate}: ${why}`);
      await announce(plan, ports, 'rebake-failed', `start|${now.toISOString()}`, `the rebake of ${planName(plan)} could not start: ${why}`, now);
    }
  }
  return started;
}

/** Announces template runs that ended since they were last announced. */
export async function watchRebakes(plans: ReleasePlan[], ports: ReleasePorts, now: Date, log: (m: string) => void): Promise<number> {
  let announced = 0;
  for (const plan of plans) {
    if (!plan.rebake) continue;
    try {
      const run = await ports.readTemplateRun(plan.rebake.imageTemplate);
      if (!run?.endTime || !run.runState) continue;
      const kind: NoticeKind | undefined = FAILED.includes(run.runState) ? 'rebake-failed' : SUCCEEDED.includes(run.runState) ? 'rebake-succeeded' : undefined;
      if (!kind) continue;
      if (await announce(plan, ports, kind, `run|${run.endTime}`, `the rebake of ${planName(plan)} ended ${run.runState}${run.message ? `: ${run.message}` : ''}`, now)) announced++;
    } catch (err) {
      log(`watchRebakes: ${plan.rebake.imageTemplate}: ${toErrorMessage(err)}`);
    }
  }
  return announced;
}

/** Sends a plan-level rebake notice once per occurrence (recorded in the ledger under `rebake/<plan>`). */
export async function announce(plan: ReleasePlan, ports: ReleasePorts, kind: NoticeKind, occurrence: string, reason: string, now: Date): Promise<boolean> {
  const release = `rebake-${planName(plan)}`;
  const rows = await ports.ledger.list(release);
  const key = `${plan.rebake?.imageTemplate ?? plan.image}|${occurrence}`;
  if (rows.some((r) => (r.payload as { key?: string } | null)?.key === key)) return false;
  const nextStep = kind === 'rebake-failed' ? 'Read the template run output (customization log) and fix the template; the fleet keeps its current version.' : 'Nothing: the new version starts its own release.';
  const commands = planNoticeCommands(plan, kind, key, { version: '', versionId: plan.rebake?.imageTemplate ?? plan.image, reason, nextStep });
  const results = await Promise.all(commands.map((c) => ports.notify(c, release)));
  await ports.ledger.append([{ release, sequence: rows.length, at: now.toISOString(), kind: 'notice', cause: reason, payload: { key, notice: kind, delivered: results.map((r) => r.delivered) } }]);
  return true;
}

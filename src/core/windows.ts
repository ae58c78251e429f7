/**
 * Maintenance windows and freezes. They hold back ring openings; they never delay a demotion
 * (the engine only consults them on the opening path).
 *
 * Pure: time comes in as an argument; time zones are resolved with the ECMAScript Intl API.
 */
import type { ReleasePlan } from './plan';

export type OpeningVerdict = { allowed: true } | { allowed: false; reason: string; nextCheckAt: Date };

const STEP_MS = 15 * 60_000;
const HORIZON_MS = 8 * 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Can a ring open at `now`? When not, says why and when to look again. */
export function openingVerdict(plan: ReleasePlan, now: Date): OpeningVerdict {
  const freeze = plan.freezes.find((f) => Date.parse(f.from) <= now.getTime() && now.getTime() < Date.parse(f.to));
  if (freeze) {
    return {
      allowed: false,
      reason: `freeze until ${freeze.to}${freeze.reason ? ` (${freeze.reason})` : ''}`,
      nextCheckAt: new Date(Date.parse(freeze.to)),
    };
  }
  if (plan.windows.length === 0 || inAnyWindow(plan, now)) return { allowed: true };
  return { allowed: false, reason: 'outside the maintenance windows', nextCheckAt: nextWindowStart(plan, now) };
}

/**
 * When ring openings will next be held, after `now`: the start of the next freeze, or the end of the current window
 * (the first minute outside every window). Undefined when nothing holds within the
 * horizon (8 days).
 */
export function nextHoldStart(plan: ReleasePlan, now: Date): Date | undefined {
  const t0 = now.getTime();
  const freeze = plan.freezes.map((f) => Date.parse(f.from)).filter((t) => t > t0).sort((a, b) => a - b)[0];
  const windowEnd = plan.windows.length > 0 && inAnyWindow(plan, now) ? firstMinute(plan, now, false) : undefined;
  const at = Math.min(freeze ?? Infinity, windowEnd ?? Infinity);
  return Number.isFinite(at) ? new Date(at) : undefined;
}

/** True when `at` falls inside one of the plan's windows (a window whose `to` ≤ `from` spans midnight). */
export function inAnyWindow(plan: ReleasePlan, at: Date): boolean {
  return plan.windows.some((w) => {
    const { weekday, minutes } = localTime(at, w.timeZone);
    const from = toMinutes(w.from);
    const to = toMinutes(w.to);
    if (from < to) return w.days.includes(weekday) && minutes >= from && minutes < to;
    // Overnight window: the part after midnight belongs to the previous day's window.
    const previous = WEEKDAY_NAMES[(WEEKDAY_NAMES.indexOf(weekday) + 6) % 7]!;
    return (w.days.includes(weekday) && minutes >= from) || (w.days.includes(previous) && minutes < to);
  });
}

/**
 * The first minute at or after `now` inside a window: a coarse 15-minute scan, then minute by minute
 * inside the step that crossed into a window. Falls back to the horizon (8 days) if no window ever opens.
 */
function nextWindowStart(plan: ReleasePlan, now: Date): Date {
  return new Date(firstMinute(plan, now, true) ?? Math.ceil(now.getTime() / 60_000) * 60_000 + HORIZON_MS);
}

/**
 * The first minute at or after `now` that is inside a window (`inside`) or outside every window (`!inside`): a
 * coarse 15-minute scan, then minute by minute back through the step that crossed. Undefined within the horizon.
 */
function firstMinute(plan: ReleasePlan, now: Date, inside: boolean): number | undefined {
  const start = Math.ceil(now.getTime() / 60_000) * 60_000;
  for (let t = start; t <= start + HORIZON_MS; t += STEP_MS) {
    if (inAnyWindow(plan, new Date(t)) !== inside) continue;
    let first = t;
    for (let m = t - 60_000; m > t - STEP_MS && m >= start && inAnyWindow(plan, new Date(m)) === inside; m -= 60_000) first = m;
    return first;
  }
  return undefined;
}

const WEEKDAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

function localTime(at: Date, timeZone: string): { weekday: (typeof WEEKDAY_NAMES)[number]; minutes: number } {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, fmt);
  }
  let weekday: (typeof WEEKDAY_NAMES)[number] = 'Sun';
  let hour = 0;
  let minute = 0;
  for (const part of fmt.formatToParts(at)) {
    if (part.type === 'weekday') weekday = part.value as (typeof WEEKDAY_NAMES)[number];
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { weekday, minutes: hour * 60 + minute };
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/**
 * The HTTP API: list releases, show one (state, rings, ledger), operator actions, the dashboard, health.
 * Authentication is the Functions host's function key (authLevel 'function'); the local runtime
 * enforces the same key. Actions are signals to the release: the engine decides what they mean in the
 * release's current state and records the cause (e.g. "refused: a demoted version is never promoted").
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { OPERATOR_ACTIONS, type OperatorAction } from '../core';
import type { Ledger } from '../ledger/ledger';
import { renderDashboard } from './dashboard';
import type { ReleaseInstance, ReleaseRuntime } from './release-runtime';

export interface ApiDeps {
  runtime: ReleaseRuntime;
  ledger: Ledger;
  /**
   * Who vouches for the operator (`RINGMASTER_OPERATOR_IDENTITY`): `entra` — App Service authentication in front
   * of the app, which sets `x-ms-client-principal-name` and drops any copy a client sends; `key` (default) —
   * function keys, whose checked key's name the local host passes as `x-ringmaster-key-name`.
   */
  identity?: 'entra' | 'key';
}

/** The operator as the platform vouches for them, never the body's word; undefined when Entra ID has no principal. */
export function operatorOf(req: HttpRequest, identity: 'entra' | 'key' = 'key'): string | undefined {
  if (identity === 'entra') return req.headers.get('x-ms-client-principal-name')?.trim().slice(0, 200) || undefined;
  const key = req.headers.get('x-ringmaster-key-name')?.trim();
  return `function key ${key ? key.slice(0, 60) : '(unnamed)'}`;
}

const ACTIONS: readonly OperatorAction[] = OPERATOR_ACTIONS;

export async function listReleases(_req: HttpRequest, deps: ApiDeps): Promise<HttpResponseInit> {
  const releases = (await deps.runtime.list()).sort((a, b) => b.createdTime.localeCompare(a.createdTime));
  return { status: 200, jsonBody: { releases: releases.map(view) } };
}

export async function showRelease(req: HttpRequest, deps: ApiDeps): Promise<HttpResponseInit> {
  const id = req.params.id ?? '';
  const instance = await deps.runtime.get(id);
  if (!instance) return notFound(id);
  return { status: 200, jsonBody: { ...view(instance), ledger: await deps.ledger.list(id) } };
}

export async function actOnRelease(req: HttpRequest, deps: ApiDeps): Promise<HttpResponseInit> {
  const id = req.params.id ?? '';
  const action = req.params.action ?? '';
  if (!ACTIONS.includes(action as OperatorAction)) {
    return { status: 400, jsonBody: { error: { code: 'UnknownAction', message: `action must be one of ${ACTIONS.join(', ')}; got "${action}"` } } };
  }
  // Authenticate (who vouches for the operator) before reading the body.
  const actor = operatorOf(req, deps.identity);
  if (actor === undefined) return { status: 401, jsonBody: { error: { code: 'NoPrincipal', message: 'sign in: the operator API takes actions only from an Entra ID principal (App Service authentication)' } } };
  let body: { actor?: unknown; reason?: unknown } = {};
  const text = await req.text();
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return { status: 400, jsonBody: { error: { code: 'InvalidJson', message: 'the body must be JSON like {"actor":"alice@contoso.com","reason":"…"}' } } };
    }
  }
  const claimed = typeof body.actor === 'string' && body.actor.trim() ? body.actor.trim().slice(0, 200) : undefined;
  const said = typeof body.reason === 'string' ? body.reason.slice(0, 500) : undefined;
  const reason = [said, claimed && claimed !== actor ? `claimed to act as ${claimed}` : undefined].filter(Boolean).join('; ') || undefined;
  const instance = await deps.runtime.get(id);
  if (!instance) return notFound(id);
  const phase = instance.summary?.phase;
  if (action === 'approve' && phase !== undefined && phase !== 'awaiting-approval') {
    return { status: 409, jsonBody: { error: { code: 'NotAwaitingApproval', message: `release ${id} is ${phase}: nothing awaits an approval (to let a ring open beyond the fleet budget, use approve-budget)`, phase } } };
  }
  if (action === 'approve' && instance.summary?.barredApprovers?.includes(actor)) {
    return { status: 409, jsonBody: { error: { code: 'FourEyes', message: `${actor} promoted or approved the ring before ${instance.summary.ring ?? 'this one'}; the plan asks someone else to approve it`, phase } } };
  }
  const ok = await deps.runtime.signal(id, { kind: 'operator', action: action as OperatorAction, actor, ...(reason ? { reason } : {}) });
  if (!ok) return { status: 409, jsonBody: { error: { code: 'ReleaseNotRunning', message: `release ${id} is ${instance.status}; it takes no more actions` } } };
  return { status: 202, jsonBody: { release: id, action, actor, accepted: true, note: 'the release decides in its current state; see its ledger for the outcome' } };
}

export async function dashboard(_req: HttpRequest, deps: ApiDeps): Promise<HttpResponseInit> {
  const releases = (await deps.runtime.list()).filter((r) => r.summary).sort((a, b) => b.createdTime.localeCompare(a.createdTime));
  const html = renderDashboard({
    title: 'Ringmaster releases',
    generatedAt: new Date().toISOString(),
    refreshSeconds: 3,
    rollout: true,
    releases: await Promise.all(releases.map(async (r) => ({ summary: r.summary!, ledger: await deps.ledger.list(r.instanceId) }))),
  });
  return { status: 200, body: html, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" } };
}

export async function health(): Promise<HttpResponseInit> {
  return { status: 200, jsonBody: { status: 'ok' } };
}

function view(r: ReleaseInstance) {
  return { id: r.instanceId, status: r.status, createdTime: r.createdTime, lastUpdatedTime: r.lastUpdatedTime, ...(r.summary ? { release: r.summary } : {}) };
}

function notFound(id: string): HttpResponseInit {
  return { status: 404, jsonBody: { error: { code: 'ReleaseNotFound', message: `no release with id "${id}"` } } };
}

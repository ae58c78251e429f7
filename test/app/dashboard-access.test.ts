/**
 * A notice's dashboard link opens for the person who clicks it: behind App Service authentication (Entra ID) the
 * dashboard admits a signed-in principal and sends anyone else to sign in and back; with function keys the host
 * has already checked the key.
 */
import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { dashboardRefusal } from '../../src/app/dashboard-access';

const request = (headers: Record<string, string>, url = 'https://func-rm.azurewebsites.net/api/dashboard?release=payments-api-1.7.0-3f9a21c4') => new HttpRequest({ method: 'GET', url, headers });

describe('dashboard access', () => {
  it.each<[string, 'entra' | 'key', Record<string, string>, number | undefined]>([
    ['function keys: the host checked the key, nothing more to ask', 'key', {}, undefined],
    ['Entra ID: a signed-in principal sees it', 'entra', { 'x-ms-client-principal-id': '6c1f0d2e-0000-4000-8000-000000000001', 'x-ms-client-principal-idp': 'aad' }, undefined],
    ['Entra ID: nobody signed in, a page load: sent to sign in', 'entra', { accept: 'text/html,application/xhtml+xml' }, 302],
    ['Entra ID: nobody signed in, a script: 401, no redirect', 'entra', { accept: 'application/json' }, 401],
    ['Entra ID: a principal of another provider is not enough', 'entra', { 'x-ms-client-principal-id': 'x', 'x-ms-client-principal-idp': 'github', accept: 'text/html' }, 302],
  ])('%s', (_name, identity, headers, status) => {
    expect(dashboardRefusal(request(headers), identity)?.status).toBe(status);
  });

  it('signs in back to the same page, as a relative target', () => {
    const r = dashboardRefusal(request({ accept: 'text/html' }), 'entra');
    expect((r?.headers as Record<string, string>).location).toBe('/.auth/login/aad?post_login_redirect_uri=%2Fapi%2Fdashboard%3Frelease%3Dpayments-api-1.7.0-3f9a21c4');
  });
});

/**
 * Who may open the dashboard. A link in a Teams or Slack notice must open for the person who clicks it, and a chat
 * message may never carry a function key. So with `RINGMASTER_OPERATOR_IDENTITY=entra` — App Service authentication
 * (Entra ID) in front of the app, which sets `x-ms-client-principal-*` and drops any copy a client sends — the
 * dashboard route is anonymous to the Functions host and this check admits a signed-in principal, sending anyone
 * else to the sign-in page and back. With `key` (locally, or in Azure without App Service authentication) the host
 * checks the function key before the handler runs, and a notice's link needs `?code=` added by whoever holds it.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';

/** The sign-in endpoint of App Service authentication's Microsoft provider. */
export const SIGN_IN_PATH = '/.auth/login/aad';

/**
 * Undefined when the request may see the dashboard; else the answer to send: a redirect to sign in (a page load),
 * or 401 (anything else: no HTML for a script).
 */
export function dashboardRefusal(req: Pick<HttpRequest, 'headers' | 'url'>, identity: 'entra' | 'key'): HttpResponseInit | undefined {
  if (identity === 'key') return undefined;
  const principal = req.headers.get('x-ms-client-principal-id')?.trim();
  const provider = req.headers.get('x-ms-client-principal-idp')?.trim().toLowerCase();
  if (principal && provider === 'aad') return undefined;
  const accepts = req.headers.get('accept') ?? '';
  if (!accepts.includes('text/html')) return { status: 401, jsonBody: { error: { code: 'NoPrincipal', message: 'sign in with Entra ID (App Service authentication) to see the dashboard' } } };
  // Back to the same path and query after sign-in; a relative target only (App Service refuses other hosts anyway).
  let back = '/api/dashboard';
  try {
    const u = new URL(req.url);
    back = `${u.pathname}${u.search}`;
  } catch {
    // a malformed URL signs in to the dashboard's own page
  }
  return { status: 302, headers: { location: `${SIGN_IN_PATH}?post_login_redirect_uri=${encodeURIComponent(back)}`, 'cache-control': 'no-store' } };
}

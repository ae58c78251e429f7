/**
 * Who acted is the identity the platform vouches for, never the body's word. Behind App Service
 * authentication (Entra ID) the principal comes from `x-ms-client-principal-name` (App Service sets it and
 * drops any copy a client sends); locally, the name of the key that was checked (the local host sets it).
 * The body's `actor` is kept only as what the caller claimed.
 */
import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { actOnRelease } from '../../src/app/api';
import type { ReleaseRuntime } from '../../src/app/release-runtime';
import type { ReleaseEvent } from '../../src/core';
import { MemoryLedger } from '../../src/ledger/ledger';

function runtime() {
  const signals: ReleaseEvent[] = [];
  const rt: ReleaseRuntime = {
    start: async () => true,
    signal: async (_id, e) => (signals.push(e), true),
    get: async (id) => ({ instanceId: id, status: 'Running', createdTime: '', lastUpdatedTime: '' }),
    list: async () => [],
  };
  return { rt, signals };
}

const post = (headers: Record<string, string>) => new HttpRequest({ method: 'POST', url: 'http://127.0.0.1/api/releases/rel/pause', params: { id: 'rel', action: 'pause' }, headers, body: { string: JSON.stringify({ actor: 'cab-chair@contoso.com', reason: 'incident 42' }) } });

describe('operator identity', () => {
  it('behind Entra ID, the actor is the principal App Service vouches for; the body only claims', async () => {
    const { rt, signals } = runtime();
    const res = await actOnRelease(post({ 'x-ms-client-principal-name': 'alice@contoso.com', 'x-ms-client-principal-id': '00000000-0000-0000-0000-0000000000a1' }), { runtime: rt, ledger: new MemoryLedger(), identity: 'entra' });
    expect(res.status).toBe(202);
    expect(signals[0]).toMatchObject({ kind: 'operator', action: 'pause', actor: 'alice@contoso.com' });
    expect((signals[0] as { reason: string }).reason).toMatch(/incident 42.*claimed to act as cab-chair@contoso\.com/);
  });

  it('behind Entra ID, a request without a principal is refused before anything is signalled', async () => {
    const { rt, signals } = runtime();
    const res = await actOnRelease(post({}), { runtime: rt, ledger: new MemoryLedger(), identity: 'entra' });
    expect(res.status).toBe(401);
    expect(signals).toEqual([]);
  });

  it('with function keys, the actor is the name of the key that was checked', async () => {
    const { rt, signals } = runtime();
    await actOnRelease(post({ 'x-ringmaster-key-name': 'default' }), { runtime: rt, ledger: new MemoryLedger(), identity: 'key' });
    expect(signals[0]).toMatchObject({ actor: 'function key default' });
  });
});

describe('four eyes at the API', () => {
  it('an approve by whoever promoted the ring before is refused with 409 FourEyes, and nothing is signalled; another principal is accepted', async () => {
    const signals: ReleaseEvent[] = [];
    const summary = { phase: 'awaiting-approval', ring: 'early', barredApprovers: ['alice@contoso.com'] } as never;
    const rt: ReleaseRuntime = {
      start: async () => true,
      signal: async (_id, e) => (signals.push(e), true),
      get: async (id) => ({ instanceId: id, status: 'Running', createdTime: '', lastUpdatedTime: '', summary }),
      list: async () => [],
    };
    const approve = (who: string) => new HttpRequest({ method: 'POST', url: 'http://127.0.0.1/api/releases/rel/approve', params: { id: 'rel', action: 'approve' }, headers: { 'x-ms-client-principal-name': who } });
    const refused = await actOnRelease(approve('alice@contoso.com'), { runtime: rt, ledger: new MemoryLedger(), identity: 'entra' });
    expect(refused.status).toBe(409);
    expect(refused.jsonBody).toMatchObject({ error: { code: 'FourEyes' } });
    expect(signals).toEqual([]);
    const accepted = await actOnRelease(approve('bob@contoso.com'), { runtime: rt, ledger: new MemoryLedger(), identity: 'entra' });
    expect(accepted.status).toBe(202);
    expect(signals[0]).toMatchObject({ action: 'approve', actor: 'bob@contoso.com' });
  });
});

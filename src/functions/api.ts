/** The HTTP API (function key; the dashboard behind App Service authentication when it fronts the app) and the health endpoint (anonymous). */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { actOnRelease, dashboard, health, listReleases, showRelease, type ApiDeps } from '../app/api';
import { dashboardRefusal } from '../app/dashboard-access';
import { operatorIdentityOf } from '../app/wiring';
import { appDeps, runtimeFor } from './deps';

type ApiHandler = (req: HttpRequest, deps: ApiDeps) => Promise<HttpResponseInit>;
const withDeps = (h: ApiHandler) => (req: HttpRequest, context: InvocationContext) => h(req, { runtime: runtimeFor(context), ledger: appDeps().ports.ledger, identity: appDeps().settings.operatorIdentity });
const durable = [df.input.durableClient()];

app.http('listReleases', { methods: ['GET'], authLevel: 'function', route: 'releases', extraInputs: durable, handler: withDeps(listReleases) });
app.http('showRelease', { methods: ['GET'], authLevel: 'function', route: 'releases/{id}', extraInputs: durable, handler: withDeps(showRelease) });
app.http('actOnRelease', { methods: ['POST'], authLevel: 'function', route: 'releases/{id}/{action}', extraInputs: durable, handler: withDeps(actOnRelease) });
// Behind App Service authentication the dashboard opens for a signed-in person (a notice's link carries no key).
const entra = operatorIdentityOf(process.env) === 'entra';
const signedIn = (h: ApiHandler): ApiHandler => (req, deps) => Promise.resolve(dashboardRefusal(req, deps.identity ?? 'key') ?? h(req, deps));
app.http('dashboard', { methods: ['GET'], authLevel: entra ? 'anonymous' : 'function', route: 'dashboard', extraInputs: durable, handler: withDeps(signedIn(dashboard)) });
app.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: health });

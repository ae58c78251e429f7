/**
 * A stand-in for the Functions host's `@azure/functions-core` module. `@azure/functions` v4 asks the host
 * for this module to register functions; when it is missing the library runs in "test mode" and skips
 * registration. Resolving the module to this stand-in lets the local runtime (and the registration test)
 * see every function with its bindings and handler, exactly as the host would.
 */
import Module from 'node:module';

export interface CoreBinding {
  type: string;
  direction: string;
  [property: string]: unknown;
}

export interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, CoreBinding>;
  [property: string]: unknown;
}

export interface Registration {
  name: string;
  metadata: CoreFunctionMetadata;
  /** The user handler as the programming model calls it: (triggerInput, context). */
  handler: (input: unknown, context: unknown) => unknown;
  trigger: CoreBinding;
}

const MODULE_ID = '@azure/functions-core';
const registrations: Registration[] = [];
let installed = false;

/** Makes `require('@azure/functions-core')` return the stand-in. Idempotent. */
export function installFunctionsCoreStandIn(): Registration[] {
  if (installed) return registrations;
  installed = true;
  const standIn = {
    version: '4.0.0-ringmaster-local',
    registerFunction(metadata: CoreFunctionMetadata, handler: Registration['handler']) {
      const trigger = Object.values(metadata.bindings).find((b) => b.direction === 'in' && /Trigger$/.test(b.type));
      if (!trigger) throw new Error(`function ${metadata.name} has no trigger binding`);
      registrations.push({ name: metadata.name, metadata, handler, trigger });
      return { dispose() {} };
    },
    setProgrammingModel() {},
    getProgrammingModel() {
      return undefined;
    },
    registerHook() {
      return { dispose() {} };
    },
    log() {},
    get hostVersion() {
      return '4.0.0';
    },
    app: {},
  };
  const virtualPath = `/__ringmaster__/${MODULE_ID}.js`;
  const mod = new Module(virtualPath);
  mod.exports = standIn;
  mod.loaded = true;
  const cache = (Module as unknown as { _cache: Record<string, Module> })._cache;
  cache[virtualPath] = mod;
  const resolver = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = resolver._resolveFilename;
  resolver._resolveFilename = function (request: string, ...rest: unknown[]) {
    if (request === MODULE_ID) return virtualPath;
    return original.call(this, request, ...rest);
  };
  return registrations;
}

/** The pure core: plan, engine, preflight. Imports nothing from the shell, no `node:` modules, no clock. */
export * from './budget';
export * from './duration';
export * from './health';
export * from './plan';
export * from './polling';
export * from './release-engine';
export * from './release-state';
export * from './types';
export * from './windows';
export * from './preflight';
export * from './notices';
export * from './region-pairs';

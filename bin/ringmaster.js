#!/usr/bin/env node
'use strict';
// The CLI is bundled by `npm run build` into dist/cli.js.
try {
  require('../dist/cli.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
    console.error('ringmaster: not built yet. Run `npm run build` first.');
    process.exit(2);
  }
  throw err;
}

#!/usr/bin/env node
// Entry point for `npx cordon`: runs the TypeScript CLI through tsx so that a
// fresh `npm ci` is enough (no build step to forget).
'use strict';
require('tsx/cjs');
const { main } = require('../src/cli/main.ts');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`cordon: unexpected error: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);

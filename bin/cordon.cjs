#!/usr/bin/env node
// Entry point for `npx cordon`: runs the TypeScript CLI through tsx so that a
// fresh `npm ci` is enough (no build step to forget).
'use strict';
// The SDK warns that Node 20 support ends; deployed cordon runs on nodejs22.x.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
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

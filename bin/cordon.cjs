#!/usr/bin/env node
// Entry point of `cordon` (`npx cordon` in a checkout, `cordon` once the package is installed).
// In a checkout (src/ present and tsx installed: `npm ci` is enough) it runs the TypeScript sources through tsx,
// so what runs is always what is checked out; an installed package has no src/ and runs the build (dist/,
// `npm run build`), plain JavaScript that needs no TypeScript toolchain.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

// The SDK warns that Node 20 support ends; deployed cordon runs on nodejs22.x.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// `cordon … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const root = path.join(__dirname, '..');
const source = path.join(root, 'src', 'cli', 'main.ts');
const build = path.join(root, 'dist', 'cli', 'main.js');

function hasTsx() {
  try {
    require.resolve('tsx/cjs', { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

let entry;
if (fs.existsSync(source) && hasTsx()) {
  require('tsx/cjs');
  entry = source;
} else if (fs.existsSync(build)) {
  entry = build;
} else {
  process.stderr.write(`cordon: neither the sources with tsx (run \`npm ci\`) nor the build (${build}: run \`npm run build\`) are here\n`);
  process.exit(2);
}
require(entry)
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`cordon: unexpected error: ${err && err.stack ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );

#!/usr/bin/env node
'use strict';
// Runs the compiled CLI (dist/, built by `npm install` through the `prepare` script).
// From a source checkout without dist/, falls back to tsx so `npx couponbridge` still works.
const path = require('node:path');
const fs = require('node:fs');
const compiled = path.join(__dirname, '..', 'dist', 'cli', 'index.js');
if (fs.existsSync(compiled)) {
  require(compiled).main(process.argv);
} else {
  require('tsx/cjs');
  require(path.join(__dirname, '..', 'src', 'cli', 'index.ts')).main(process.argv);
}

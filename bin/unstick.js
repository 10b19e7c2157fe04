#!/usr/bin/env node
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node 22.1 and later keep the compiled modules between runs (in the OS temp folder); Node 20 has no
// such cache, so there this does nothing.
module.enableCompileCache?.();

// The bundled build (scripts/build-bundle.js: the same code in a quarter of the modules), or the
// modules tsc wrote when only that step was run.
const dist = existsSync(new URL('../dist/bundle/main.js', import.meta.url)) ? '../dist/bundle' : '../dist/cli';
const { startEarly } = await import(`${dist}/early.js`);

// Before the CLI loads: diagnose starts reading a large file now, on the other core (see src/cli/early.ts).
startEarly(process.argv.slice(2));
const { run } = await import(`${dist}/main.js`);

// A closed pipe (`unstick diagnose ... | head`) is the reader saying "enough", not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.stderr.write(`error: cannot write output: ${err.message}\n`);
    process.exit(1);
  });
}

process.exitCode = await run(process.argv.slice(2));

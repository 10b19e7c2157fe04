#!/usr/bin/env node
import { startEarly } from '../dist/cli/early.js';

// Before the CLI loads: diagnose's scan worker starts now, on the other core (see src/cli/early.ts).
startEarly(process.argv.slice(2));
const { run } = await import('../dist/cli/main.js');

// A closed pipe (`unstick diagnose ... | head`) is the reader saying "enough", not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.stderr.write(`error: cannot write output: ${err.message}\n`);
    process.exit(1);
  });
}

process.exitCode = await run(process.argv.slice(2));

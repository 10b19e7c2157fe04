#!/usr/bin/env node
import { run } from '../dist/cli/main.js';

// A closed pipe (`unstick diagnose ... | head`) is the reader saying "enough", not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.stderr.write(`error: cannot write output: ${err.message}\n`);
    process.exit(1);
  });
}

process.exitCode = await run(process.argv.slice(2));

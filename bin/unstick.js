#!/usr/bin/env sh
':' //; # POSIX sh reads these lines, then runs this file with node (which reads them as strings); see below.
':' //; case "$1:${NODE_EXTRA_CA_CERTS:+set}:${NODE_OPTIONS:+preload}" in diagnose:set:) ;; *) exec node "$0" "$@" ;; esac
':' //; for word in "$@"; do case "$word" in diagnose|--json|--csv|--since|--since=*|--until|--until=*|--connection|--connection=*|--tz|--tz=*|--format|--format=*|--debug|--no-color|-|[!-]*) ;; *) exec node "$0" "$@" ;; esac; done
':' //; UNSTICK_DEFERRED_CA_CERTS=$NODE_EXTRA_CA_CERTS; export UNSTICK_DEFERRED_CA_CERTS; unset NODE_EXTRA_CA_CERTS; exec node "$0" "$@"

// The launcher above. Node reads every certificate NODE_EXTRA_CA_CERTS names when the process starts,
// before any JavaScript, and OpenSSL 3 parses them slowly (nodejs/node#40524): 75 ms for this
// machine's 144-certificate system bundle, where `unstick diagnose` of a 500 MB file takes 200 ms.
// A diagnose of files connects nowhere, so the launcher holds the variable back from Node for
// exactly that: `diagnose` with only the options that read files. Any other word that starts with
// a dash (--tenant, --job, --confirm, one it does not know) keeps it, and so does every other
// command: what connects trusts what it did. So does NODE_OPTIONS, as what it preloads (a tracer,
// say) runs before this and may connect. Whatever this process starts sees the variable as it was.
const deferred = process.env.UNSTICK_DEFERRED_CA_CERTS;
if (deferred !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = deferred;
  delete process.env.UNSTICK_DEFERRED_CA_CERTS;
}

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

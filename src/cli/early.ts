/**
 * Work that bin/unstick.js starts before it loads the CLI: `unstick diagnose BIGFILE` starts its scan
 * worker at once, so that the new thread's own start-up (a V8 isolate and its modules, tens of
 * milliseconds) overlaps the loading of the CLI on the other core instead of following it. A worker
 * not taken costs nothing at exit (warm-workers.ts). Imports only what that needs.
 */
import { warmForFiles } from '../logs/warm-workers.js';
import { DIAGNOSE_PARALLEL } from './commands/diagnose.spec.js';

export function startEarly(argv: readonly string[]): void {
  if (argv[0] !== 'diagnose' || DIAGNOSE_PARALLEL.threads < 2) return;
  const format = argv.indexOf('--format');
  if ((format >= 0 && argv[format + 1] === 'text') || argv.includes('--format=text')) return; // read serially
  // Option values are looked at too: only an existing file large enough to be split starts a worker.
  warmForFiles(argv.slice(1).filter((word) => !word.startsWith('-')), DIAGNOSE_PARALLEL.threads - 1, DIAGNOSE_PARALLEL.minBytes);
}

/**
 * Work that bin/unstick.js starts before it loads the CLI, so that it overlaps the loading on the
 * other core instead of following it: `unstick diagnose BIGFILE` starts reading at once. Where the
 * native kernel runs, native threads start scanning the file's pieces now (src/logs/prescan.ts);
 * elsewhere a scan worker starts (a V8 isolate and its modules: tens of milliseconds). Either is
 * only used by a read of the same file with the same pieces, and costs nothing at exit if unused.
 * Imports only what that needs.
 */
import { startEarlyPrescan } from '../logs/prescan.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../logs/scanner.js';
import { largeFileOf } from '../logs/split.js';
import { warmScanWorkers } from '../logs/warm-workers.js';
import { DIAGNOSE_PARALLEL } from './commands/diagnose.spec.js';

export function startEarly(argv: readonly string[], policy: { threads: number; minBytes: number } = DIAGNOSE_PARALLEL): void {
  if (argv[0] !== 'diagnose' || policy.threads < 2) return;
  const format = argv.indexOf('--format');
  if ((format >= 0 && argv[format + 1] === 'text') || argv.includes('--format=text')) return; // read serially
  // Option values are looked at too: only an existing file large enough to be split starts anything.
  const large = largeFileOf(argv.slice(1).filter((word) => !word.startsWith('-')), policy.minBytes);
  if (!large) return;
  if (startEarlyPrescan({ ...large, threads: policy.threads, maxRecordBytes: DEFAULT_MAX_RECORD_BYTES })) return;
  warmScanWorkers(policy.threads - 1);
}

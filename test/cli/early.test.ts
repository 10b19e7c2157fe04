import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The built modules: a warm worker is the compiled scan worker, which only dist/ has.
const { startEarly } = (await import(new URL('../../dist/cli/early.js', import.meta.url).href)) as typeof import('../../src/cli/early.js');
const { takeWarmWorker } = (await import(new URL('../../dist/logs/warm-workers.js', import.meta.url).href)) as typeof import('../../src/logs/warm-workers.js');
const { takeEarlyPrescan } = (await import(new URL('../../dist/logs/prescan.js', import.meta.url).href)) as typeof import('../../src/logs/prescan.js');
const { availableKernels } = (await import(new URL('../../dist/logs/line-kernel.js', import.meta.url).href)) as typeof import('../../src/logs/line-kernel.js');
const { DEFAULT_MAX_RECORD_BYTES } = (await import(new URL('../../dist/logs/scanner.js', import.meta.url).href)) as typeof import('../../src/logs/scanner.js');

const tmp = mkdtempSync(path.join(tmpdir(), 'unstick-early-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
// A sparse file: 64 MiB on paper, nothing on disk.
const big = path.join(tmp, 'big.jsonl');
writeFileSync(big, '');
truncateSync(big, 64 * 1024 * 1024);
const small = path.join(tmp, 'small.jsonl');
writeFileSync(small, '{"a":1}\n');

describe('startEarly (bin/unstick.js, before the CLI loads)', () => {
  // One core: diagnose reads serially, and starts no worker.
  it.runIf(availableParallelism() >= 2)('starts a scan worker for diagnose with a file large enough to be split, and for nothing else', async () => {
    for (const argv of [['repair', big], ['diagnose', small], ['diagnose', big, '--format', 'text'], ['diagnose', `--format=text`, big], ['diagnose', '-']]) {
      startEarly(argv);
      expect(takeWarmWorker(), argv.join(' ')).toBeNull();
    }
    // (The sparse file is all NUL bytes: not a log a prescan can cut, so a worker it is.)
    startEarly(['diagnose', '--json', big]);
    const worker = takeWarmWorker();
    expect(worker).not.toBeNull();
    await worker!.terminate();
  });

  it.runIf(availableKernels().includes('native'))('starts native prescan threads, not a worker, for a log the native kernel reads', () => {
    const log = path.join(tmp, 'log.jsonl');
    writeFileSync(log, '{"log_id":"1","data":{"type":"s"}}\n'.repeat(2000));
    const policy = { threads: 2, minBytes: 1000 };
    startEarly(['diagnose', '--json', log], policy);
    expect(takeWarmWorker()).toBeNull();
    const prescan = takeEarlyPrescan({ path: log, size: 2000 * 35, threads: 2, maxRecordBytes: DEFAULT_MAX_RECORD_BYTES });
    expect(prescan).not.toBeNull();
    expect(prescan!.take(1, 60_000)!.lines).toBeGreaterThan(0);
    prescan!.stop();
  });
});

import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The built modules: a warm worker is the compiled scan worker, which only dist/ has.
const { startEarly } = (await import(new URL('../../dist/cli/early.js', import.meta.url).href)) as typeof import('../../src/cli/early.js');
const { takeWarmWorker } = (await import(new URL('../../dist/logs/warm-workers.js', import.meta.url).href)) as typeof import('../../src/logs/warm-workers.js');

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
    startEarly(['diagnose', '--json', big]);
    const worker = takeWarmWorker();
    expect(worker).not.toBeNull();
    await worker!.terminate();
  });
});

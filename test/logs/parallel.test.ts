import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandInputs } from '../../src/logs/inputs.js';
import { splitLineDelimited } from '../../src/logs/parallel.js';
import { readLogs, type ReadOptions } from '../../src/logs/reader.js';
import type { LogEvent } from '../../src/logs/types.js';
import { takeWarmWorker, warmForFiles, warmScanWorkers } from '../../src/logs/warm-workers.js';

// The worker is compiled code: the vitest global setup builds dist/ first.
const workerUrl = new URL('../../dist/logs/scan-worker.js', import.meta.url);

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'unstick-parallel-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const streamLine = (i: number, description: string) =>
  JSON.stringify({
    log_id: `9002024${i}`,
    data: { date: '2024-05-02T10:00:00.000Z', type: 'fs', description, connection: 'legacy-db', user_id: '', user_name: `user${i}@acme.com`, log_id: `9002024${i}` },
  });

function logFile(name: string, count: number): string {
  const file = path.join(tmp, name);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i === 2345) lines.push('{"log_id":"broken","data":{"type":"s","descr');
    else lines.push(streamLine(i, i % 89 === 0 ? 'The user already exists.' : 'Successful login'));
  }
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

async function read(file: string, options: ReadOptions = {}) {
  const events: LogEvent[] = [];
  const stats = await readLogs(await expandInputs([file]), options, (e) => events.push(e));
  const key = (e: LogEvent) => `${e.email}@${e.source.line}@${e.time?.toISO()}`;
  return { stats, keys: events.map(key).sort() };
}

describe('the parallel split', () => {
  it('gives the main thread its head start, then equal newline-aligned shares that cover the file', () => {
    const file = logFile('split.jsonl', 20000);
    const bytes = readFileSync(file);
    const size = bytes.length;
    const even = splitLineDelimited(file, size, 2)!;
    const ahead = splitLineDelimited(file, size, 3, Math.floor(size / 4))!;
    for (const ranges of [even, ahead]) {
      expect(ranges[0]![0]).toBe(0);
      expect(ranges.at(-1)![1]).toBe(size);
      for (let k = 1; k < ranges.length; k++) {
        expect(ranges[k]![0]).toBe(ranges[k - 1]![1]);
        expect(bytes[ranges[k]![0] - 1]).toBe(0x0a);
      }
    }
    const share = (r: [number, number]) => (r[1] - r[0]) / size;
    expect(share(even[0]!)).toBeCloseTo(0.5, 2);
    // A quarter first, then thirds of the other three quarters.
    expect(share(ahead[0]!)).toBeCloseTo(0.25 + 0.75 / 3, 2);
    expect(share(ahead[1]!)).toBeCloseTo(0.25, 2);
  });

  it('a head start of the whole file leaves nothing to split: read serially', () => {
    const file = logFile('all-ahead.jsonl', 3000);
    const size = readFileSync(file).length;
    expect(splitLineDelimited(file, size, 2, size)).toBeNull();
  });
});

describe('the main thread reads the first range, workers the others', () => {
  it('gives the serial answer with a head start and three threads', async () => {
    const file = logFile('three.jsonl', 12000);
    const serial = await read(file);
    const parallel = await read(file, { parallel: { workerUrl, workers: 3, minBytes: 1, headStart: 200_000 } });
    expect(parallel.stats.records).toBe(serial.stats.records);
    expect(parallel.stats.malformedSamples).toEqual(serial.stats.malformedSamples);
    expect(parallel.keys).toEqual(serial.keys);
    expect(serial.keys.length).toBeGreaterThan(100);
  });

  it('a warm worker (started before the read) takes its range and gives the same answer', async () => {
    const file = logFile('warm.jsonl', 8000);
    const serial = await read(file);
    warmScanWorkers(1, workerUrl);
    const parallel = await read(file, { parallel: { workerUrl, workers: 2, minBytes: 1 } });
    expect(takeWarmWorker()).toBeNull(); // the read took it
    expect(parallel.stats.records).toBe(serial.stats.records);
    expect(parallel.stats.malformedSamples).toEqual(serial.stats.malformedSamples);
    expect(parallel.keys).toEqual(serial.keys);
  });
});

describe('warm workers for large files', () => {
  it('start only when an input is a file of at least the size given', () => {
    const file = logFile('size.jsonl', 500);
    const size = readFileSync(file).length;
    warmForFiles([file, '-', path.join(tmp, 'missing.jsonl')], 1, size + 1, workerUrl);
    expect(takeWarmWorker()).toBeNull();
    warmForFiles(['-', file], 1, size, workerUrl);
    const worker = takeWarmWorker();
    expect(worker).not.toBeNull();
    void worker!.terminate();
  });
});

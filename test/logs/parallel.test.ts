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
  it('cuts a file into near-equal newline-aligned pieces that cover it', () => {
    const file = logFile('split.jsonl', 20000);
    const bytes = readFileSync(file);
    const size = bytes.length;
    for (const parts of [2, 7]) {
      const pieces = splitLineDelimited(file, size, parts)!;
      expect(pieces).toHaveLength(parts);
      expect(pieces[0]![0]).toBe(0);
      expect(pieces.at(-1)![1]).toBe(size);
      for (let k = 1; k < pieces.length; k++) {
        expect(pieces[k]![0]).toBe(pieces[k - 1]![1]);
        expect(bytes[pieces[k]![0] - 1]).toBe(0x0a);
      }
      for (const [start, end] of pieces) expect((end - start) / size).toBeCloseTo(1 / parts, 2);
    }
  });
});

describe('threads claim pieces one at a time, the main thread too', () => {
  it('gives the serial answer with many pieces and three threads', async () => {
    const file = logFile('three.jsonl', 12000);
    const serial = await read(file);
    const parallel = await read(file, { parallel: { workerUrl, workers: 3, minBytes: 1, pieceBytes: 40_000 } });
    expect(parallel.stats.records).toBe(serial.stats.records);
    expect(parallel.stats.malformedSamples).toEqual(serial.stats.malformedSamples);
    expect(parallel.keys).toEqual(serial.keys);
    expect(serial.keys.length).toBeGreaterThan(100);
  });

  it('a warm worker (started before the read) takes pieces and gives the same answer', async () => {
    const file = logFile('warm.jsonl', 8000);
    const serial = await read(file);
    warmScanWorkers(1, workerUrl);
    const parallel = await read(file, { parallel: { workerUrl, workers: 2, minBytes: 1, pieceBytes: 100_000 } });
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

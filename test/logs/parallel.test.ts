import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { expandInputs } from '../../src/logs/inputs.js';
import { availableKernels } from '../../src/logs/line-kernel.js';
import { startEarlyPrescan, takeEarlyPrescan } from '../../src/logs/prescan.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../../src/logs/scanner.js';
import { HEAD_PIECE_BYTES, largeFileOf, piecesOf, splitLineDelimited } from '../../src/logs/split.js';
import { readLogs, type ReadOptions } from '../../src/logs/reader.js';
import { CLAIMED, claimPiece, COUNTER_INTS, HANDED, mayClaim, type ScanJob } from '../../src/logs/scan-protocol.js';
import type { LogEvent } from '../../src/logs/types.js';
import { takeWarmWorker, warmScanWorkers } from '../../src/logs/warm-workers.js';

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
  it('gives the main thread a short head piece (it is the last thread to be ready) and splits the rest evenly', () => {
    const file = logFile('head.jsonl', 20000); // about 4.5 MB
    const size = readFileSync(file).length;
    const pieces = piecesOf(file, size, 2)!;
    expect(pieces).toHaveLength(3);
    expect(pieces[0]![1]).toBeGreaterThanOrEqual(HEAD_PIECE_BYTES);
    expect(pieces[0]![1]).toBeLessThan(HEAD_PIECE_BYTES + 1000);
    expect((pieces[1]![1] - pieces[1]![0]) / (pieces[2]![1] - pieces[2]![0])).toBeCloseTo(1, 2);
    expect(pieces[2]![1]).toBe(size);
  });

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

const native = availableKernels().includes('native');

describe.each([
  { threads: 'worker threads', prescan: false },
  ...(native ? [{ threads: 'native prescan threads', prescan: true }] : []),
])('$threads claim pieces one at a time', ({ prescan }) => {
  it('gives the serial answer with many pieces and three threads', async () => {
    const file = logFile('three.jsonl', 12000);
    const serial = await read(file);
    const parallel = await read(file, { parallel: { workerUrl, workers: 3, minBytes: 1, pieceBytes: 40_000, prescan } });
    expect(parallel.stats.records).toBe(serial.stats.records);
    expect(parallel.stats.malformedSamples).toEqual(serial.stats.malformedSamples);
    expect(parallel.keys).toEqual(serial.keys);
    expect(serial.keys.length).toBeGreaterThan(100);
  });

  // A report keeps the first evidence it sees of a user, so the order is part of the answer.
  it('hands the events on in the order of the file, whichever thread read their piece', async () => {
    const file = logFile('order.jsonl', 60000);
    const lines = async (options: ReadOptions) => {
      const events: LogEvent[] = [];
      await readLogs(await expandInputs([file]), options, (e) => events.push(e));
      return events.map((e) => e.source.line);
    };
    const serial = await lines({});
    expect(serial).toEqual([...serial].sort((a, b) => a - b));
    for (let round = 0; round < 3; round++) {
      // Workers started before the read, so that they take their share of a file this small.
      if (!prescan) warmScanWorkers(2, workerUrl);
      expect(await lines({ parallel: { workerUrl, workers: 3, minBytes: 1, pieceBytes: 20_000, prescan } })).toEqual(serial);
    }
  });
});

describe('a read started before the CLI loads', () => {
  it('a warm worker (started before the read) takes pieces and gives the same answer', async () => {
    const file = logFile('warm.jsonl', 8000);
    const serial = await read(file);
    warmScanWorkers(1, workerUrl);
    const parallel = await read(file, { parallel: { workerUrl, workers: 2, minBytes: 1, pieceBytes: 100_000, prescan: false } });
    expect(takeWarmWorker()).toBeNull(); // the read took it
    expect(parallel.stats.records).toBe(serial.stats.records);
    expect(parallel.stats.malformedSamples).toEqual(serial.stats.malformedSamples);
    expect(parallel.keys).toEqual(serial.keys);
  });

  it.runIf(native)('an early prescan of the same pieces is taken by the read; one of other pieces is stopped and left', async () => {
    const file = logFile('early.jsonl', 8000);
    const size = readFileSync(file).length;
    const serial = await read(file);
    expect(piecesOf(file, size, 2, 100_000)!.length).toBeGreaterThan(5);
    const early = { path: file, size, threads: 2, pieceBytes: 100_000, maxRecordBytes: DEFAULT_MAX_RECORD_BYTES };
    expect(startEarlyPrescan(early)).toBe(true);
    const adopted = await read(file, { parallel: { workerUrl, workers: 2, minBytes: 1, pieceBytes: 100_000 } });
    expect(takeEarlyPrescan(early)).toBeNull(); // the read took it
    expect(adopted.stats).toEqual(serial.stats);
    expect(adopted.keys).toEqual(serial.keys);

    const other = { ...early, pieceBytes: 50_000 };
    expect(startEarlyPrescan(other)).toBe(true);
    const own = await read(file, { parallel: { workerUrl, workers: 2, minBytes: 1, pieceBytes: 100_000 } });
    expect(own.stats).toEqual(serial.stats);
    expect(takeEarlyPrescan(other)).toBeNull(); // stopped when the read did not take it
  });
});

describe('large files, for which a read starts early', () => {
  it('are only files of at least the size given', () => {
    const file = logFile('size.jsonl', 500);
    const size = readFileSync(file).length;
    expect(largeFileOf([file, '-', path.join(tmp, 'missing.jsonl'), tmp], size + 1)).toBeNull();
    expect(largeFileOf(['-', tmp, file], size)).toEqual({ path: file, size });
  });
});

describe('the head piece decides the format as a serial read would', () => {
  it('even when the first records are large: a few big foreign records, then a log', async () => {
    const file = path.join(tmp, 'big-first.jsonl');
    const lines: string[] = [];
    // (The first line is short: a file whose first line is longer than the split's look at the head is read serially.)
    lines.push(JSON.stringify({ note: 'export' }));
    for (let i = 0; i < 10; i++) lines.push(JSON.stringify({ note: `export row ${i}`, blob: 'b'.repeat(120_000) }));
    for (let i = 0; i < 30_000; i++) lines.push(streamLine(i, i % 100 === 0 ? 'The user already exists.' : 'Successful login'));
    writeFileSync(file, lines.join('\n') + '\n');
    const serial = await read(file);
    expect(serial.stats.inputs[0]!.rejected).toBeNull();
    expect(serial.keys).toHaveLength(300);
    for (const prescan of [false, ...(native ? [true] : [])]) {
      const parallel = await read(file, { parallel: { workerUrl, workers: 2, minBytes: 1, prescan } });
      expect(parallel.stats, `prescan ${prescan}`).toEqual(serial.stats);
      expect(parallel.keys).toEqual(serial.keys);
    }
  });
});

describe('a line read from its start, wherever a piece or a hand-over puts it, is read as a serial read reads it', () => {
  it('lines that open with the letters of a marker word ({"fl... of "conflict") are only counted, not parsed', async () => {
    const file = path.join(tmp, 'fl-starts.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      // Not valid JSON, though well-formed for the structural check: only a parse would report it.
      if (i % 97 === 50) lines.push('{"fl\\"":nul}');
      else lines.push(`{"fl":1,${streamLine(i, i % 89 === 0 ? 'The user already exists.' : 'Successful login').slice(1)}`);
    }
    // The last line has no newline: a prescan thread hands it to the main thread.
    writeFileSync(file, `${lines.join('\n')}\n{"fl\\"":nul}`);
    const serial = await read(file);
    expect(serial.stats.malformed).toBe(0);
    expect(serial.keys.length).toBeGreaterThan(200);
    for (const prescan of [false, ...(native ? [true] : [])]) {
      const parallel = await read(file, { parallel: { workerUrl, workers: 2, minBytes: 1, pieceBytes: 40_000, prescan } });
      expect(parallel.stats, `prescan ${prescan}`).toEqual(serial.stats);
      expect(parallel.keys).toEqual(serial.keys);
    }
  });
});

describe('prescan threads far ahead of the main thread', () => {
  it.runIf(native)('Ctrl+C is heard between pieces (a log where every line is a candidate keeps the main thread busy)', async () => {
    const file = path.join(tmp, 'all-candidates.jsonl');
    writeFileSync(file, Array.from({ length: 60_000 }, (_, i) => streamLine(i, 'The user already exists.')).join('\n') + '\n');
    const interrupt = new AbortController();
    let events = 0;
    const reading = readLogs(await expandInputs([file]), { parallel: { workerUrl, workers: 2, minBytes: 1, pieceBytes: 500_000 }, signal: interrupt.signal }, () => events++);
    setTimeout(() => interrupt.abort(), 0);
    await expect(reading).rejects.toBeInstanceOf(InterruptedError);
    expect(events).toBeLessThan(60_000);
  });
});

describe('an input that is JSON but not a log', () => {
  it('counts, split or not, only what the head showed: none of its records reach the totals', async () => {
    const file = path.join(tmp, 'not-a-log.jsonl');
    writeFileSync(file, Array.from({ length: 50_000 }, (_, i) => JSON.stringify({ note: `export row ${i}`, value: i })).join('\n') + '\n');
    const serial = await read(file);
    expect(serial.stats.inputs[0]!.rejected).toBe('JSON, but not Auth0 log records');
    for (const prescan of [false, ...(native ? [true] : [])]) {
      const parallel = await read(file, { parallel: { workerUrl, workers: 2, minBytes: 1, pieceBytes: 100_000, prescan } });
      expect(parallel.stats.inputs[0]!.rejected).toBe(serial.stats.inputs[0]!.rejected);
      expect([parallel.stats.records, parallel.stats.events, parallel.stats.malformed], `prescan ${prescan}`).toEqual([serial.stats.records, serial.stats.events, serial.stats.malformed]);
    }
  });
});

describe('how far ahead threads claim (mayClaim)', () => {
  it('a piece within `ahead` of the first one not handed on, or any once every piece is taken (claimPiece then says so)', () => {
    const job: ScanJob = { path: 'x', name: 'x', pieces: Array.from({ length: 10 }, (_, k) => [k, k + 1] as const), counter: new SharedArrayBuffer(COUNTER_INTS * 4), ahead: 3, maxRecordBytes: 1000 };
    const counter = new Int32Array(job.counter);
    const at = (claimed: number, handed: number) => {
      counter[CLAIMED] = claimed;
      counter[HANDED] = handed;
      return mayClaim(job, counter);
    };
    expect([at(0, 0), at(2, 0), at(3, 0), at(4, 0)]).toEqual([true, true, false, false]);
    expect([at(3, 1), at(4, 1), at(7, 5), at(8, 5)]).toEqual([true, false, true, false]);
    expect(at(10, 0)).toBe(true);
    expect(claimPiece(job, counter)).toBeNull();
  });
});

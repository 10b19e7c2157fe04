import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputMissingError, InterruptedError } from '../../src/errors.js';
import { expandInputs } from '../../src/logs/inputs.js';
import { availableKernels } from '../../src/logs/line-kernel.js';
import { parallelPlan, scanWorkerUrl } from '../../src/logs/parallel.js';
import { readLogs, type ReadOptions } from '../../src/logs/reader.js';
import type { LogEvent } from '../../src/logs/types.js';

const FIX = 'test/fixtures/logs';

async function read(specs: string[], options: ReadOptions = {}) {
  const events: LogEvent[] = [];
  const stats = await readLogs(await expandInputs(specs), options, (e) => events.push(e));
  return { events, stats };
}

let tmp: string;
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'unstick-reader-'));
});

const streamLine = (i: number, description: string, email = `user${i}@acme.com`) =>
  JSON.stringify({
    log_id: `9002024${i}`,
    data: { date: '2024-05-02T10:00:00.000Z', type: 'fs', description, connection: 'legacy-db', user_id: '', user_name: email, log_id: `9002024${i}` },
  });

describe('readLogs on the edge-case fixtures', () => {
  it('reads CRLF line ends and a byte order mark like any other input', async () => {
    const crlf = await read([`${FIX}/crlf.jsonl`]);
    const crlfLines = readFileSync(`${FIX}/crlf.jsonl`, 'utf8').split('\r\n').filter(Boolean);
    expect(crlf.stats.malformed).toBe(0);
    expect(crlf.stats.records).toBe(crlfLines.length);
    expect(crlf.events.map((e) => e.source.line)).toEqual(crlfLines.flatMap((l, i) => (/already exists/i.test(l) ? [i + 1] : [])));
    const bom = await read([`${FIX}/bom.json`]);
    expect(bom.stats.malformed).toBe(0);
    expect(bom.stats.inputs[0]!.rejected).toBeNull();
    expect(bom.events.length).toBeGreaterThan(0);
  });

  it('an empty file is read as zero records, not an error', async () => {
    const { stats, events } = await read([`${FIX}/empty.jsonl`]);
    expect(events).toEqual([]);
    expect(stats.inputs[0]).toMatchObject({ records: 0, malformed: 0, rejected: null });
  });

  it('rejects a binary file and JSON that is not an Auth0 log, with a reason', async () => {
    const { stats } = await read([`${FIX}/binary.bin`, `${FIX}/not-a-log.json`]);
    expect(stats.inputs.map((i) => i.rejected)).toEqual(['binary data, not a log', 'JSON, but not Auth0 log records']);
  });

  it('counts a truncated last line as malformed, with its file and line', async () => {
    const { stats } = await read([`${FIX}/truncated-last-line.jsonl`]);
    expect(stats.malformed).toBe(1);
    expect(stats.malformedSamples[0]).toEqual({
      source: { file: `${FIX}/truncated-last-line.jsonl`, line: 3 },
      reason: 'truncated: the input ends inside it',
    });
    expect(stats.records).toBe(2);
  });

  it('finds markers hidden by JSON escapes and odd casing', async () => {
    const { events } = await read([`${FIX}/escaped.jsonl`]);
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.map((e) => e.codes).every((c) => c.includes('USER_EXISTS'))).toBe(true);
  });

  it('reads a directory of mixed formats recursively, gzip included', async () => {
    const { stats } = await read([`${FIX}/mixed`]);
    expect(stats.inputs.length).toBe(4);
    const gz = stats.inputs.find((i) => i.name.endsWith('.gz'))!;
    expect(gz.gzip).toBe(true);
    expect(gz.records).toBeGreaterThan(0);
    expect(new Set(stats.inputs.map((i) => i.format)).size).toBeGreaterThanOrEqual(3);
    expect(stats.inputs.every((i) => i.rejected === null)).toBe(true);
  });

  it('a missing input is an InputMissingError naming the path', async () => {
    await expect(read(['no/such/file.json'])).rejects.toThrow(InputMissingError);
    await expect(read(['no/such/file.json'])).rejects.toThrow('no/such/file.json: no such file or directory');
  });
});

describe('readLogs: streams, sizes and formats', () => {
  it('reads stdin ("-"), gzip detected by magic bytes', async () => {
    const body = gzipSync(Buffer.from(`${streamLine(1, 'The user already exists.')}\n`));
    const { events, stats } = await read(['-'], { stdin: Readable.from([body]) });
    expect(stats.inputs[0]).toMatchObject({ name: '-', gzip: true, records: 1, format: 'log-stream' });
    expect(events[0]).toMatchObject({ email: 'user1@acme.com', source: { file: '-', line: 1 } });
  });

  it('reports a 10 MB line as malformed with its line and reads on', async () => {
    const file = path.join(tmp, 'huge-line.jsonl');
    const huge = `{"log_id":"1","data":{"type":"s","description":"${'a'.repeat(10 * 1024 * 1024)}"}}`;
    writeFileSync(file, [streamLine(1, 'The user already exists.'), huge, streamLine(3, 'The user already exists.')].join('\n') + '\n');
    const { events, stats } = await read([file]);
    expect(stats.malformedSamples).toEqual([{ source: { file, line: 2 }, reason: 'record larger than 4 MiB' }]);
    expect(events.map((e) => e.source.line)).toEqual([1, 3]);
  });

  it('reads a huge text line as malformed too, and keeps reading', async () => {
    const file = path.join(tmp, 'paste.txt');
    writeFileSync(file, `2024-05-02T10:00:00Z DUPLICATED_USER a@acme.com\n${'x'.repeat(5 * 1024 * 1024)}\n2024-05-02T10:00:01Z user_exists b@acme.com\n`);
    const { events, stats } = await read([file]);
    expect(stats.inputs[0]!.format).toBe('text');
    expect(stats.malformedSamples.map((m) => m.source.line)).toEqual([2]);
    expect(events.map((e) => e.email)).toEqual(['a@acme.com', 'b@acme.com']);
  });

  it('treats "[10:31:07.412Z] INFO" output as text, not a JSON array', async () => {
    const file = path.join(tmp, 'wt.txt');
    writeFileSync(file, '[10:31:07.412Z]  INFO: wt: login failed for jane@acme.com: DUPLICATED_USER\n');
    const { events, stats } = await read([file]);
    expect(stats.inputs[0]!.format).toBe('text');
    expect(stats.malformed).toBe(0);
    expect(events[0]!.email).toBe('jane@acme.com');
  });

  it('--format forces text even for JSON input', async () => {
    const file = path.join(tmp, 'forced.jsonl');
    writeFileSync(file, `${streamLine(1, 'The user already exists.')}\n`);
    const { stats, events } = await read([file], { format: 'text' });
    expect(stats.inputs[0]!.format).toBe('text');
    expect(events[0]!.format).toBe('text');
  });

  it('memory stays flat: a large array is streamed element by element', async () => {
    const file = path.join(tmp, 'big-array.json');
    const n = 20_000;
    const items = Array.from({ length: n }, (_, i) =>
      JSON.stringify({ date: '2024-05-02T10:00:00.000Z', type: i % 1000 === 0 ? 'fs' : 's', description: i % 1000 === 0 ? 'The user already exists.' : 'Successful login', user_name: `u${i}@acme.com`, log_id: String(i) }),
    );
    writeFileSync(file, `[${items.join(',')}]`);
    const { events, stats } = await read([file], { maxRecordBytes: 4096 });
    expect(stats.records).toBe(n);
    expect(stats.malformed).toBe(0);
    expect(events).toHaveLength(n / 1000);
    expect(stats.inputs[0]!.format).toBe('management-api');
  });
});

// The worker is compiled code: the vitest global setup builds dist/ first.
const workerUrl = new URL('../../dist/logs/scan-worker.js', import.meta.url);

describe('the parallel plan', () => {
  it('logs locates its own compiled worker: none beside the TypeScript sources, the one in dist/ when built', async () => {
    expect(scanWorkerUrl()).toBeNull();
    expect(parallelPlan({ workers: 2, minBytes: 1 })).toBeNull();
    const built = (await import(new URL('../../dist/logs/parallel.js', import.meta.url).href)) as typeof import('../../src/logs/parallel.js');
    expect(built.parallelPlan({ workers: 2, minBytes: 64 })).toEqual({ workerUrl, workers: 2, minBytes: 64 });
  });
});

describe.each([
  { threads: 'worker threads', prescan: false },
  ...(availableKernels().includes('native') ? [{ threads: 'native prescan threads', prescan: true }] : []),
])('readLogs: the parallel path ($threads) gives exactly the serial answer', ({ prescan }) => {
  it('same events, lines and malformed records with 2 workers', async () => {
    const file = path.join(tmp, 'parallel.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 6000; i++) {
      if (i === 1234) lines.push('{"log_id":"broken","data":{"type":"s","descr');
      else lines.push(streamLine(i, i % 97 === 0 ? 'The user already exists.' : 'Successful login'));
    }
    writeFileSync(file, lines.join('\n') + '\n');
    const serial = await read([file]);
    const parallel = await read([file], { parallel: { workerUrl, workers: 2, minBytes: 1, prescan } });
    expect(parallel.stats.records).toBe(serial.stats.records);
    expect(parallel.stats.malformedSamples).toEqual(serial.stats.malformedSamples);
    expect(parallel.stats.malformedSamples).toEqual([{ source: { file, line: 1235 }, reason: 'truncated: the line ends inside it' }]);
    // Workers stream events as they find them, so only the set is the same, not the order.
    const key = (e: LogEvent) => `${e.email}@${e.source.line}@${e.time?.toISO()}`;
    expect(parallel.events.map(key).sort()).toEqual(serial.events.map(key).sort());
    expect(serial.events).toHaveLength(Math.ceil(6000 / 97) - (1234 % 97 === 0 ? 1 : 0));
  });

  it('a run of foreign JSON at the start of a later range does not make that range be skipped', async () => {
    const file = path.join(tmp, 'foreign-middle.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 4000; i++) lines.push(streamLine(i, i % 100 === 0 ? 'The user already exists.' : 'Successful login'));
    const half = lines.join('\n').length / 2;
    let at = 0;
    let cut = 0;
    while (at < half) at += lines[cut++]!.length + 1;
    const foreign = Array.from({ length: 100 }, (_, i) => JSON.stringify({ note: `export row ${i}` }));
    lines.splice(cut, 0, ...foreign); // right where the second worker starts reading
    writeFileSync(file, lines.join('\n') + '\n');
    const serial = await read([file]);
    const parallel = await read([file], { parallel: { workerUrl, workers: 2, minBytes: 1, prescan } });
    expect(serial.events).toHaveLength(40);
    expect(parallel.events).toHaveLength(40);
    expect(parallel.stats.records).toBe(serial.stats.records);
  });

  it('aborting stops the workers and rejects with InterruptedError', async () => {
    const file = path.join(tmp, 'abort.jsonl');
    const line = streamLine(1, 'Successful login');
    writeFileSync(file, `${Array.from({ length: 200_000 }, () => line).join('\n')}\n`);
    const interrupt = new AbortController();
    // Ctrl+C as soon as the first bytes are read.
    const reading = read([file], { parallel: { workerUrl, workers: 2, minBytes: 1, prescan }, signal: interrupt.signal, onProgress: () => interrupt.abort() });
    await expect(reading).rejects.toBeInstanceOf(InterruptedError);
  });

  it('finds a marker split across a worker read boundary (4 MiB into the range)', async () => {
    const file = path.join(tmp, 'straddle.jsonl');
    const boundary = 4 * 1024 * 1024;
    const filler = (i: number, pad: number) => JSON.stringify({ log_id: String(i), data: { type: 's', description: 'Successful login', pad: 'p'.repeat(pad) } });
    const parts: string[] = [];
    let size = 0;
    for (let i = 0; size < boundary - 2000; i++) {
      const l = filler(i, 900);
      parts.push(l);
      size += l.length + 1;
    }
    const stuck = streamLine(99999, 'The user already exists.', 'split@acme.com');
    const cut = boundary - size - stuck.indexOf('xists'); // "e" ends the first read, "xists" starts the next
    parts.push(filler(88888, cut - filler(88888, 0).length - 1));
    parts.push(stuck);
    for (let i = 0; i < 5000; i++) parts.push(filler(100000 + i, 900));
    writeFileSync(file, parts.join('\n') + '\n');
    const text = parts.join('\n');
    expect(text.slice(boundary - 1, boundary + 5)).toBe('exists');
    const { events } = await read([file], { parallel: { workerUrl, workers: 2, minBytes: 1, prescan } });
    expect(events.map((e) => e.email)).toEqual(['split@acme.com']);
  });
});

describe('readLogs: damaged and unusual inputs', () => {
  it('a truncated .gz keeps what was read and reports the rest as one malformed record', async () => {
    const file = path.join(tmp, 'cut.jsonl.gz');
    const lines = Array.from({ length: 2000 }, (_, i) => streamLine(i, i % 100 === 0 ? 'The user already exists.' : 'Successful login'));
    const gz = gzipSync(lines.join('\n') + '\n');
    writeFileSync(file, gz.subarray(0, Math.floor(gz.length * 0.7)));
    const { events, stats } = await read([file]);
    expect(stats.inputs[0]!.rejected).toBeNull();
    expect(stats.records).toBeGreaterThan(100);
    expect(events.length).toBeGreaterThan(0);
    expect(stats.malformedSamples.at(-1)!.reason).toMatch(/^the input ends early: corrupt or truncated gzip data/);
  });

  it('gzip magic with a corrupt header, and a path that cannot be read, are rejected with a reason', async () => {
    const bad = path.join(tmp, 'bad.gz');
    writeFileSync(bad, Buffer.from([0x1f, 0x8b, 0x78, 0x00, 0x00]));
    const dir = mkdtempSync(path.join(tmp, 'dir-'));
    const events: LogEvent[] = [];
    const stats = await readLogs(
      [
        { name: bad, path: bad, size: 5 },
        { name: dir, path: dir, size: 0 },
      ],
      {},
      (e) => events.push(e),
    );
    expect(stats.inputs.map((i) => [i.rejected, i.unreadable])).toEqual([
      ['cannot read: corrupt or truncated gzip data (unknown compression method)', false],
      ['cannot read: is a directory', true],
    ]);
  });

  it('follows symbolic links inside directories, once, and refuses an empty directory', async () => {
    const { symlinkSync, mkdirSync } = await import('node:fs');
    const dir = mkdtempSync(path.join(tmp, 'links-'));
    writeFileSync(path.join(tmp, 'target.jsonl'), `${streamLine(1, 'The user already exists.', 'linked@acme.com')}\n`);
    symlinkSync(path.join(tmp, 'target.jsonl'), path.join(dir, 'link.jsonl'));
    mkdirSync(path.join(dir, 'sub'));
    symlinkSync(dir, path.join(dir, 'sub', 'loop'));
    const { events } = await read([dir]);
    expect(events.map((e) => e.email)).toEqual(['linked@acme.com']);
    const empty = mkdtempSync(path.join(tmp, 'empty-'));
    await expect(read([empty])).rejects.toThrow(`${empty}: a directory with no files to read`);
  });

  it('a paste that opens with one JSON body line is still read as text', async () => {
    const file = path.join(tmp, 'paste-json-first.txt');
    writeFileSync(
      file,
      [
        '{"statusCode":409,"error":"Conflict","message":"The user already exists.","errorCode":"auth0_idp_error","email":"a@acme.com"}',
        '2024-05-02T10:00:00Z login failed for b@acme.com: DUPLICATED_USER',
        '2024-05-02T10:00:01Z connected',
        '2024-05-02T10:00:02Z user_exists c@acme.com',
      ].join('\n'),
    );
    const { events, stats } = await read([file]);
    expect(stats.inputs[0]!.format).toBe('text');
    expect(events.map((e) => e.email)).toEqual(['a@acme.com', 'b@acme.com', 'c@acme.com']);
  });

  it('a Latin-1 byte in a text line does not hide its marker', async () => {
    const file = path.join(tmp, 'latin1.txt');
    writeFileSync(file, Buffer.concat([Buffer.from('2024-05-02T10:00:00Z Jos'), Buffer.from([0xe9]), Buffer.from(' DUPLICATED_USER jose@acme.com\n')]));
    const { events, stats } = await read([file]);
    expect(stats.malformed).toBe(0);
    expect(events.map((e) => e.email)).toEqual(['jose@acme.com']);
  });

  it('JSON that is not an Auth0 log yields no events at all, even from later records', async () => {
    const file = path.join(tmp, 'foreign.jsonl');
    const foreign = Array.from({ length: 16 }, (_, i) => JSON.stringify({ id: i, name: 'widget' }));
    writeFileSync(file, [...foreign, streamLine(1, 'The user already exists.', 'late@acme.com')].join('\n') + '\n');
    const { events, stats } = await read([file]);
    expect(stats.inputs[0]!.rejected).toBe('JSON, but not Auth0 log records');
    expect(events).toEqual([]);
  });
});

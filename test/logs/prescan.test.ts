import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineScanner, type LineSink } from '../../src/logs/line-scanner.js';
import { Prescan, type PrescannedPiece } from '../../src/logs/prescan.js';
import { prng as rng } from '../../scripts/prng.js';
import { expectSame, feed, input, kernelVariants, useVariant, withJs, withKernel, type Seen } from './scan-oracle.js';

/**
 * A piece read by a native prescan thread and settled by LineScanner.replay must read exactly as the
 * JavaScript scanner reads it, and exactly as the main thread's own kernel pass would: the same
 * records handed over, the same count, the same malformed lines. Each input is the second piece of a
 * file (the first is never a thread's), read with small regions (lines longer than the region) and
 * small arenas (pieces handed over early) as well as the real sizes.
 */
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'unstick-prescan-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function prescanned(file: string, head: number, length: number, maxRecordBytes: number, sizes: { regionBytes?: number; arenaBytes?: number }): PrescannedPiece {
  const prescan = Prescan.start(file, [[0, head], [head, head + length]], maxRecordBytes, 1, sizes)!;
  expect(prescan).not.toBeNull();
  try {
    return prescan.take(1, 60_000)!;
  } finally {
    prescan.stop();
  }
}

function withReplay(buf: Buffer, piece: PrescannedPiece, chunks: number[] | null, maxRecordBytes: number, everyAfter: number | null): Seen & { pushedFrom: number | null } {
  const seen: Seen = { records: [], plain: 0, malformed: [], line: 0 };
  const sink: LineSink = {
    record: (bytes, line, inArray, candidate) => seen.records.push({ text: bytes.toString('latin1'), line, inArray, candidate }),
    malformed: (line, reason) => seen.malformed.push({ line, reason }),
    plainRecords: (n) => (seen.plain += n),
    // Like a reader whose input turns out to be an import report: from then on every record comes whole.
    wantsEveryRecord: () => everyAfter !== null && seen.records.length >= everyAfter,
  };
  const scanner = new LineScanner(sink, { maxRecordBytes, lineDelimited: true }, 4096, 'native');
  const from = scanner.replay(piece, buf.length);
  if (from !== null) feed((b) => scanner.push(b), buf.subarray(from), chunks);
  scanner.end();
  seen.line = scanner.currentLine;
  return { ...seen, pushedFrom: from };
}

describe.each(kernelVariants().filter((v) => v.kind === 'native'))('the native prescan ($label), settled by LineScanner.replay', (variant) => {
  useVariant(variant);
  it('reads random damaged input as the JavaScript scanner and as the kernel pass, whatever the region and arena', () => {
    let plainSeen = 0;
    let handedOver = 0;
    let settled = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const buf = input(seed, 30 + (seed % 40));
      const head = Buffer.from('{"head":1}\n'.repeat(seed % 3));
      const file = path.join(tmp, `seed-${seed}.jsonl`);
      writeFileSync(file, Buffer.concat([head, buf]));
      const maxRecordBytes = seed % 3 === 0 ? 300 : 4 * 1024 * 1024;
      const r = rng(seed * 11);
      const chunks = seed % 4 === 0 ? null : Array.from({ length: 3 }, () => 1 + Math.floor(r() * 700));
      const regionBytes = [256, 1000, 4096, 1 << 20][seed % 4]!;
      const arenaBytes = [64, 500, 8 * 1024 * 1024][seed % 3]!;
      const everyAfter = seed % 5 === 0 ? 2 : null;
      const piece = prescanned(file, head.length, buf.length, maxRecordBytes, { regionBytes, arenaBytes });
      expect(piece.error).toBe(0);
      const label = `seed ${seed}, region ${regionBytes}, arena ${arenaBytes}, chunks ${JSON.stringify(chunks)}`;
      const replayed = withReplay(buf, piece, chunks, maxRecordBytes, everyAfter);
      expectSame(withJs(buf, chunks, maxRecordBytes, true), replayed, label, chunks === null);
      if (everyAfter === null && replayed.pushedFrom === null) {
        // Settled by the thread alone: record for record what the main thread's own kernel pass hands
        // over. (Where the JavaScript scanner reads part of a piece, it hands over every record it reads.)
        const kernel = withKernel(buf, chunks, maxRecordBytes, true, 1 << 20, 'native');
        expect(replayed.records, `${label}: records`).toEqual(kernel.records);
        expect(replayed.plain, `${label}: plain`).toBe(kernel.plain);
      }
      plainSeen += replayed.plain;
      if (replayed.pushedFrom === null) settled++;
      else if (replayed.pushedFrom > 0) handedOver++;
    }
    // Every way through was taken: settled by the thread alone, and handed over part way.
    expect(plainSeen).toBeGreaterThan(1000);
    expect(settled).toBeGreaterThanOrEqual(5);
    expect(handedOver).toBeGreaterThan(10);
  });

  it('settles a clean piece alone: every line counted or handed over by the thread, none pushed', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ log_id: `l${i}`, data: { type: 'fs', description: i % 97 === 0 ? 'The user already exists.' : 'Wrong password' } }));
    const buf = Buffer.from(lines.join('\n') + '\n');
    const file = path.join(tmp, 'clean.jsonl');
    writeFileSync(file, Buffer.concat([Buffer.from('{"head":1}\n'), buf]));
    const piece = prescanned(file, 11, buf.length, 4 * 1024 * 1024, {});
    expect(piece.stopped).toBe(-1);
    const replayed = withReplay(buf, piece, null, 4 * 1024 * 1024, null);
    expect(replayed.pushedFrom).toBeNull();
    expect(replayed.records.map((r) => r.line)).toEqual(lines.flatMap((_, i) => (i % 97 === 0 ? [i + 1] : [])));
    expect(replayed.plain + replayed.records.length).toBe(5000);
    expect(replayed.line).toBe(5001);
  });

  it('gives a read that fails its errno (the main thread then reads the piece itself)', () => {
    const piece = prescanned(path.join(tmp, 'gone.jsonl'), 10, 100, 1024, {});
    expect(piece.error).toBe(constants.errno.ENOENT);
  });

  it('runs only so far ahead of the reader (memory stays flat), and stops when told', () => {
    const file = path.join(tmp, 'ahead.jsonl');
    // Every line a record with a marker: a thread keeps every byte of a piece for the reader.
    writeFileSync(file, '{"d":"already exists"}\n'.repeat(100_000));
    const line = 23;
    const pieces = Array.from({ length: 100 }, (_, k) => [k * 1000 * line, (k + 1) * 1000 * line] as [number, number]);
    const prescan = Prescan.start(file, pieces, 1024, 2, { pendingBytes: 100_000 })!;
    expect(prescan.take(1, 60_000)!.lines).toBe(1000);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100); // time to run ahead, if they would
    // A piece keeps about 87 KB (its bytes, 8 before each entry, 64 for each entry): two finished ones
    // not taken reach the limit, and each thread may have claimed one more.
    const claimed = Atomics.load(prescan.counter, 0);
    expect(claimed).toBeGreaterThanOrEqual(3);
    expect(claimed).toBeLessThanOrEqual(2 + 2 + 2);
    // Taking what they have read lets them go on.
    for (let k = 2; k < claimed; k++) expect(prescan.take(k, 60_000)).not.toBeNull();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    expect(Atomics.load(prescan.counter, 0)).toBeGreaterThan(claimed);
    prescan.stop();
    expect(prescan.take(50, 1000)).toBeNull();
  });
});

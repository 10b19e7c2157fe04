/**
 * Where a large line-delimited file is cut for the parallel read (parallel.ts): newline-aligned
 * pieces. Imports only the sniffing rules, so that bin/unstick.js can cut a file before the CLI loads
 * (src/cli/early.ts) and get the same pieces the read will.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { bomLength, isGzip, looksBinary } from './sniff.js';

/** Small enough that the threads finish within a piece of each other, large enough to cost nothing. */
export const PIECE_BYTES = 32 * 1024 * 1024;
/**
 * The first piece, which decides the format, is always the main thread's, and the main thread is
 * the last to be ready (it loads the CLI first): it is kept short, so that faster threads read the rest.
 */
export const HEAD_PIECE_BYTES = 1024 * 1024;

/** The pieces of a file read by `threads` threads: a short head piece, then at least one each, at most `pieceBytes` long (or null, see splitLineDelimited). */
export function piecesOf(path: string, size: number, threads: number, pieceBytes = PIECE_BYTES): Array<[number, number]> | null {
  return splitLineDelimited(path, size, Math.max(threads, Math.ceil(size / pieceBytes)), Math.min(HEAD_PIECE_BYTES, pieceBytes));
}

const HEAD_BYTES = 64 * 1024;

/**
 * Newline-aligned byte ranges, or null when the file is not line-delimited JSON (or is gzip, or
 * binary): `parts` near-equal ones, after a first one of about `head` bytes when head is given.
 */
export function splitLineDelimited(path: string, size: number, parts: number, head = 0): Array<[number, number]> | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null; // the serial reader reports why
  }
  try {
    const first = Buffer.alloc(Math.min(size, HEAD_BYTES));
    readSync(fd, first, 0, first.length, 0);
    if (isGzip(first)) return null;
    if (looksBinary(first)) return null;
    const bom = bomLength(first);
    if (first[bom] !== 0x7b) return null;
    const nl = first.indexOf(0x0a);
    if (nl === -1) return null;
    try {
      JSON.parse(first.subarray(bom, nl).toString('utf8'));
    } catch {
      return null; // the first record spans lines: pretty-printed, so it must be scanned in order
    }
    const cuts = [0];
    const probe = Buffer.alloc(HEAD_BYTES);
    const targets = head > 0 && head < size ? [head, ...Array.from({ length: parts - 1 }, (_, k) => head + Math.floor(((size - head) * (k + 1)) / parts))] : Array.from({ length: parts - 1 }, (_, k) => Math.floor((size * (k + 1)) / parts));
    for (const target of targets) {
      let at = Math.max(target, cuts[cuts.length - 1]!);
      for (;;) {
        const n = readSync(fd, probe, 0, probe.length, at);
        if (n === 0) {
          at = size;
          break;
        }
        const p = probe.subarray(0, n).indexOf(0x0a);
        if (p !== -1) {
          at += p + 1;
          break;
        }
        at += n;
      }
      if (at >= size) break;
      cuts.push(at);
    }
    cuts.push(size);
    const ranges: Array<[number, number]> = [];
    for (let k = 0; k + 1 < cuts.length; k++) if (cuts[k]! < cuts[k + 1]!) ranges.push([cuts[k]!, cuts[k + 1]!]);
    return ranges.length > 1 ? ranges : null;
  } finally {
    closeSync(fd);
  }
}

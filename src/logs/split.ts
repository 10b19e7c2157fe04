/**
 * Where a large line-delimited file is cut for the parallel read (parallel.ts): newline-aligned
 * pieces. Imports only the sniffing rules, so that bin/unstick.js can cut a file before the CLI loads
 * (src/cli/early.ts) and get the same pieces the read will.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { PROBE_RECORDS } from './probe.js';
import { DEFAULT_MAX_RECORD_BYTES } from './scanner.js';
import { bomLength, isGzip, looksBinary } from './sniff.js';

/** Small enough that the threads finish within a piece of each other, large enough to cost nothing. */
export const PIECE_BYTES = 32 * 1024 * 1024;
/** Pieces for worker threads, whose events wait for the pieces before theirs (parallel.ts): at most a few are held back. */
export const WORKER_PIECE_BYTES = 8 * 1024 * 1024;
/**
 * The first piece, which decides the format, is always the main thread's, and the main thread is
 * the last to be ready (it loads the CLI first): it is kept short, so that faster threads read the
 * rest. It holds at least twice the records the format probe parses (see probeEnd).
 */
export const HEAD_PIECE_BYTES = 1024 * 1024;
/** How far into a file those records are looked for; a file whose first records are not there is read serially. */
const PROBE_SPAN_LIMIT = 64 * 1024 * 1024;

/** The pieces of a file read by `threads` threads: a short head piece, then at least one each, at most `pieceBytes` long (or null, see splitLineDelimited). */
export function piecesOf(path: string, size: number, threads: number, pieceBytes = PIECE_BYTES): Array<[number, number]> | null {
  return splitLineDelimited(path, size, Math.max(threads, Math.ceil(size / pieceBytes)), Math.min(HEAD_PIECE_BYTES, pieceBytes));
}

/** The first of `inputs` that is a file of at least `minBytes` (it will be split), or null. */
export function largeFileOf(inputs: readonly string[], minBytes: number): { path: string; size: number } | null {
  for (const input of inputs) {
    if (input === '-') continue;
    try {
      const stat = statSync(input);
      if (stat.isFile() && stat.size >= minBytes) return { path: input, size: stat.size };
    } catch {
      // the command reports it
    }
  }
  return null;
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
    if (head > 0) {
      const probed = probeEnd(fd, size, 2 * PROBE_RECORDS);
      if (probed === null) return null;
      head = Math.max(head, probed - 1); // (a cut goes after the newline at or after its target)
    }
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

/**
 * Where the line ends after which the file's first `records` lines that parse as JSON objects (of at
 * most the record size limit) are behind: the head piece ends there or later, so that its format
 * probe never stops short where a reader of the whole file would read on. Null when they are not
 * within PROBE_SPAN_LIMIT bytes (or the file ends first).
 */
function probeEnd(fd: number, size: number, records: number): number | null {
  const chunk = Buffer.alloc(HEAD_BYTES);
  let pos = 0;
  let found = 0;
  let line: Buffer[] = [];
  let lineBytes = 0;
  while (pos < size && pos < PROBE_SPAN_LIMIT) {
    const n = readSync(fd, chunk, 0, chunk.length, pos);
    if (n === 0) break;
    const bytes = chunk.subarray(0, n);
    let from = 0;
    for (let nl = bytes.indexOf(0x0a); nl !== -1; nl = bytes.indexOf(0x0a, from)) {
      lineBytes += nl - from;
      if (lineBytes <= DEFAULT_MAX_RECORD_BYTES) {
        const text = Buffer.concat([...line, bytes.subarray(from, nl)]).toString('utf8');
        if (parsesAsObject(text)) found++;
        if (found >= records) return pos + nl + 1;
      }
      line = [];
      lineBytes = 0;
      from = nl + 1;
    }
    lineBytes += n - from;
    if (lineBytes <= DEFAULT_MAX_RECORD_BYTES) line.push(Buffer.from(bytes.subarray(from)));
    else line = [];
    pos += n;
  }
  return null;
}

function parsesAsObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

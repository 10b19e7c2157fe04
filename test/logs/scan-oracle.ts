import { expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { availableKernels, nativeKernelModule, type KernelKind } from '../../src/logs/line-kernel.js';
import { LineScanner, type LineSink } from '../../src/logs/line-scanner.js';
import { JsonScanner } from '../../src/logs/scanner.js';
import { prng as rng } from '../../scripts/prng.js';

/**
 * The oracle the fast paths are held to (line-scanner.test.ts, prescan.test.ts): the JavaScript
 * scanner's reading of random damaged line-delimited input, and what "the same reading" means.
 */

export interface Rec {
  text: string;
  line: number;
  inArray: boolean;
  candidate: boolean;
}

export interface Seen {
  records: Rec[];
  plain: number;
  malformed: Array<{ line: number; reason: string }>;
  line: number;
}

/** Feeds chunks through one reused, poisoned buffer, as the readers do. */
export function feed(push: (b: Buffer) => void, buf: Buffer, chunkSizes: number[] | null) {
  if (!chunkSizes) return push(buf);
  const reused = Buffer.alloc(Math.max(...chunkSizes) + 1).subarray(1);
  let at = 0;
  for (let k = 0; at < buf.length; k++) {
    const size = Math.min(chunkSizes[k % chunkSizes.length]!, buf.length - at);
    buf.copy(reused, 0, at, at + size);
    push(reused.subarray(0, size));
    reused.fill(0x41);
    at += size;
  }
}

export function withJs(buf: Buffer, chunks: number[] | null, maxRecordBytes: number, lineDelimited: boolean | undefined): Seen {
  const seen: Seen = { records: [], plain: 0, malformed: [], line: 0 };
  const scanner = new JsonScanner(
    {
      record: (bytes, line, inArray, candidate) => seen.records.push({ text: bytes.toString('latin1'), line, inArray, candidate }),
      malformed: (line, reason) => seen.malformed.push({ line, reason }),
    },
    { maxRecordBytes, lineDelimited },
  );
  feed((b) => scanner.push(b), buf, chunks);
  scanner.end();
  seen.line = scanner.currentLine;
  return seen;
}

export function withKernel(
  buf: Buffer,
  chunks: number[] | null,
  maxRecordBytes: number,
  lineDelimited: boolean | undefined,
  regionBytes: number,
  kind: KernelKind,
  everyFirst = 0,
): Seen {
  const seen: Seen = { records: [], plain: 0, malformed: [], line: 0 };
  const sink: LineSink = {
    record: (bytes, line, inArray, candidate) => seen.records.push({ text: bytes.toString('latin1'), line, inArray, candidate }),
    malformed: (line, reason) => seen.malformed.push({ line, reason }),
    plainRecords: (n) => (seen.plain += n),
    // Like the reader's format probe: the first records come with their bytes.
    wantsEveryRecord: () => seen.records.length < everyFirst,
  };
  const scanner = new LineScanner(sink, { maxRecordBytes, lineDelimited }, regionBytes, kind);
  feed((b) => scanner.push(b), buf, chunks);
  scanner.end();
  seen.line = scanner.currentLine;
  return seen;
}

export const MARKER = /exist|duplicat|conflict|\\u|\\\\/i;

export function expectSame(js: Seen, fast: Seen, label: string, exact = false) {
  expect(fast.malformed, `${label}: malformed`).toEqual(js.malformed);
  expect(fast.records.length + fast.plain, `${label}: record count`).toBe(js.records.length);
  expect(fast.line, `${label}: lines`).toBe(js.line);
  // What the fast path hands over is the JavaScript scanner's records, in order.
  let j = 0;
  for (const r of fast.records) {
    while (j < js.records.length && (js.records[j]!.line !== r.line || js.records[j]!.text !== r.text)) j++;
    expect(j < js.records.length, `${label}: a record the JavaScript scanner does not have, line ${r.line}: ${r.text.slice(0, 80)}`).toBe(true);
    expect(r.inArray, `${label}: inArray at line ${r.line}`).toBe(js.records[j]!.inArray);
    // Parsed or only counted as the JavaScript scanner decides (parsing finds the damage a structural
    // check cannot, such as a missing comma). Only where both read whole inputs: where a chunk ends
    // just after a marker's first letters, the JavaScript scanner parses the record to be safe.
    if (exact) expect(r.candidate, `${label}: candidate at line ${r.line}: ${r.text.slice(0, 80)}`).toBe(js.records[j]!.candidate);
    j++;
  }
  // And no record with a marker is only counted.
  const handed = new Set(fast.records.filter((r) => r.candidate).map((r) => `${r.line}\u0000${r.text}`));
  for (const r of js.records) {
    if (MARKER.test(r.text)) expect(handed.has(`${r.line}\u0000${r.text}`), `${label}: missed marker at line ${r.line}: ${r.text.slice(0, 120)}`).toBe(true);
  }
}

export const WORDS = ['exist', 'duplicat', 'conflict', 'exis', 'xist', 'duplic', 'onflict', 'flict', 'plain', 'AppleWebKit', 'Mac OS X', 'flow', 'xi', 'pl', 'fl'];

export function generator(seed: number) {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const casing = (w: string) => [...w].map((c) => (r() < 0.5 ? c.toUpperCase() : c)).join('');
  const text = (): string => {
    const parts: string[] = [];
    const n = Math.floor(r() * 4);
    for (let k = 0; k < n; k++) {
      const roll = r();
      if (roll < 0.3) parts.push(casing(pick(WORDS)));
      else if (roll < 0.4) parts.push(pick(['\\u0065xist', '\\\\', '\\"', '\\n', '\\/', 'caf\u00e9', '\u2603', '{', '}', '[', ']', ':', ',']));
      else parts.push('lorem ipsum dolor '.slice(0, 1 + Math.floor(r() * 17)));
    }
    return parts.join(r() < 0.5 ? ' ' : '');
  };
  const value = (depth: number): string => {
    const roll = r();
    if (depth > 3 || roll < 0.35) return `"${text()}"`;
    if (roll < 0.45) return pick(['1', '-2.5e3', 'true', 'false', 'null', '0']);
    if (roll < 0.6) return `[${Array.from({ length: Math.floor(r() * 3) }, () => value(depth + 1)).join(',')}]`;
    return object(depth + 1);
  };
  const object = (depth: number): string => {
    const n = Math.floor(r() * 4);
    const members = Array.from({ length: n }, () => `"${text()}"${r() < 0.2 ? ' : ' : ':'}${value(depth)}`);
    return `{${members.join(r() < 0.2 ? ', ' : ',')}}`;
  };
  const ws = () => pick(['', '', '', ' ', '\t', '  ', '\r']);
  const line = (): string => {
    const roll = r();
    if (roll < 0.55) return `${ws()}${object(0)}${ws()}`;
    if (roll < 0.6) return pick(['', ' ', '\t', '\r', ',']);
    if (roll < 0.65) return object(0).slice(0, Math.floor(r() * 30)); // truncated
    if (roll < 0.68) return `{"a":"x${pick(['\u0001', '\t', '\u001f'])}y"}`; // control byte in a string
    if (roll < 0.71) return `{"a":${pick(['x', 'nul', 'True', '\u00ff', '\'s\'', '@', '\\'])}}`; // not JSON outside strings
    if (roll < 0.73) return `{"a":[1}`; // wrong closing bracket
    if (roll < 0.75) return `${object(0)}${object(0)}`; // two records on one line
    if (roll < 0.77) return `${object(0)} x`; // junk after a record
    if (roll < 0.79) return `x${object(0)}`; // junk before
    if (roll < 0.81) return `[${object(0)},${object(0)}`; // opens a top-level array that goes on
    if (roll < 0.83) return `]`;
    if (roll < 0.85) return `${'{"d":'.repeat(60 + Math.floor(r() * 10))}1${'}'.repeat(60 + Math.floor(r() * 10))}`; // deep
    if (roll < 0.87) return `{"long":"${'y'.repeat(200 + Math.floor(r() * 2000))}${casing(pick(WORDS))}"}`; // long, past a small region
    if (roll < 0.89) return String.fromCharCode(...Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 256))).replace(/\n/g, ''); // binary
    if (roll < 0.91) return `{"a":"unterminated`;
    if (roll < 0.93) return `"string at the top"`;
    if (roll < 0.95) return `{"a":1}]`;
    return `${ws()}${object(0)}`;
  };
  return { r, line };
}

export function input(seed: number, lines: number): Buffer {
  const g = generator(seed);
  const out: string[] = [];
  if (g.r() < 0.1) out.push('\ufeff');
  for (let k = 0; k < lines; k++) out.push(g.line() + (g.r() < 0.1 ? '\r\n' : '\n'));
  if (g.r() < 0.3) out.push(g.line()); // no newline at the end
  return Buffer.from(out.join(''), 'latin1');
}


interface NativeIsa {
  isa(): string;
  setIsa(name: string): boolean;
}

/** A kernel to hold to the oracle: each kernel here, and the native one once for each instruction set it has. */
export interface KernelVariant {
  label: string;
  kind: KernelKind;
  isa?: string;
}

/** The instruction sets this CPU gives the native kernel, best first (x86-64 Linux: from /proc/cpuinfo). */
export function cpuIsas(): string[] {
  let flags = '';
  try {
    flags = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return ['avx2'];
  }
  return /\bavx512f\b/.test(flags) && /\bavx512bw\b/.test(flags) ? ['avx512', 'avx2'] : ['avx2'];
}

export function kernelVariants(): KernelVariant[] {
  return availableKernels().flatMap((kind): KernelVariant[] =>
    kind === 'native' ? cpuIsas().map((isa) => ({ label: `native (${isa})`, kind, isa })) : [{ label: kind, kind }],
  );
}

/** In a describe block: the native kernel runs with the variant's instruction set, then goes back to its best. */
export function useVariant(variant: KernelVariant): void {
  if (!variant.isa) return;
  const native = nativeKernelModule() as unknown as NativeIsa;
  let before = '';
  beforeAll(() => {
    before = native.isa();
    expect(native.setIsa(variant.isa!)).toBe(true);
  });
  afterAll(() => {
    native.setIsa(before);
  });
}

/** The instruction set the native kernel chose by itself. */
export function nativeIsa(): string | null {
  const native = nativeKernelModule() as unknown as NativeIsa | null;
  return native ? native.isa() : null;
}

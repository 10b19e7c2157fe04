/**
 * The prescan: native threads (native/line_scan.c) that read pieces of a large line-delimited file
 * and classify its lines with the native kernel, without a V8 isolate, so that they start scanning
 * the moment bin/unstick.js starts them (a worker thread first spends 40-100 ms starting Node and
 * loading modules). They claim the pieces after the first one at a time from a shared counter and
 * keep only what the JavaScript scanner must see: the lines they could not settle and the records
 * with a marker word, with their bytes. The main thread reads the first piece itself, settles each of
 * theirs from what they kept (LineScanner.replay) exactly as its own kernel pass would have, and
 * reads on itself where a thread handed a piece over early.
 *
 * This module loads nothing of the product but the kernel's loader and the splitter: src/cli/early.ts
 * imports it.
 */
import { nativeKernelModule } from './line-kernel.js';
import { PIECE_BYTES, piecesOf } from './split.js';

/** Numbers per entry in PrescannedPiece.entries. */
export const ENTRY_FIELDS = 8;

/**
 * One piece as a thread left it. `entries` holds ENTRY_FIELDS numbers per entry: where in `arena`
 * the bytes before it are (LineScanner.bytesBefore) and their length, where its bytes are and their
 * length, its offset in the piece, the offset of its line's end, its line index in the piece, and
 * plain lines before it times two plus one when it is a whole line for the JavaScript scanner (zero:
 * a record with a marker word).
 */
export interface PrescannedPiece {
  /** errno of a failed read, else 0. */
  error: number;
  lines: number;
  plain: number;
  /** Where in the piece the JavaScript scanner must read on, or -1 when the piece is settled. */
  stopped: number;
  stopBeforeAt: number;
  stopBeforeLength: number;
  entries: Float64Array;
  arena: Buffer;
}

export interface PrescanNative {
  prescanStart(path: string, bounds: Float64Array, counter: Int32Array, maxRecordBytes: number, threads: number, regionBytes: number, arenaBytes?: number, pendingBytes?: number): object;
  prescanTake(handle: object, piece: number, waitMs: number): PrescannedPiece | null;
  prescanStop(handle: object): void;
}

const REGION_BYTES = 4 * 1024 * 1024;
/** What a thread keeps of one piece at most (its entries' bytes); past that the main thread reads on. */
const ARENA_BYTES = 8 * 1024 * 1024;
/** What finished pieces not yet settled keep, together, before the threads wait for the main thread. */
const PENDING_BYTES = 32 * 1024 * 1024;

function prescanNative(): PrescanNative | null {
  const native = nativeKernelModule() as Partial<PrescanNative> | null;
  return typeof native?.prescanStart === 'function' ? (native as PrescanNative) : null;
}

/** A file's pieces being read by native threads. Piece 0 is never theirs: it decides the format. */
export class Prescan {
  /** The next piece a thread claims (from index 1). */
  readonly counter: Int32Array;
  private stopped = false;

  private constructor(
    private readonly native: PrescanNative,
    private readonly handle: object,
    /** The file's pieces, as split.ts cut them. */
    readonly pieces: ReadonlyArray<readonly [number, number]>,
    counter: Int32Array,
  ) {
    this.counter = counter;
  }

  /** Whether prescan threads can run here: the native kernel is the one chosen, and its addon has them. */
  static available(): boolean {
    return prescanNative() !== null;
  }

  /**
   * Starts `threads` native threads on pieces 1.. of `path`; null where the native kernel does not
   * run, or no thread starts. (`sizes` are for tests: the region a thread reads into, what one piece
   * keeps before it is handed over, and what finished pieces not yet taken keep before the threads wait.)
   */
  static start(
    path: string,
    pieces: ReadonlyArray<readonly [number, number]>,
    maxRecordBytes: number,
    threads: number,
    sizes: { regionBytes?: number; arenaBytes?: number; pendingBytes?: number } = {},
  ): Prescan | null {
    const native = prescanNative();
    if (!native || pieces.length < 2 || threads < 1) return null;
    const counter = new Int32Array(new SharedArrayBuffer(4));
    counter[0] = 1;
    const bounds = Float64Array.from(pieces.flat());
    let handle: object;
    try {
      handle = native.prescanStart(path, bounds, counter, maxRecordBytes, threads, sizes.regionBytes ?? REGION_BYTES, sizes.arenaBytes ?? ARENA_BYTES, sizes.pendingBytes ?? PENDING_BYTES);
    } catch {
      return null; // no thread could start: the worker threads read instead
    }
    return new Prescan(native, handle, pieces, counter);
  }

  /** Piece k once a thread has read it, waiting up to `waitMs` for it; null if it is not done by then (or was taken). */
  take(piece: number, waitMs = 0): PrescannedPiece | null {
    if (this.stopped) return null;
    return this.native.prescanTake(this.handle, piece, waitMs);
  }

  /** The threads stop after their current chunk (a few milliseconds); returns once they have. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.native.prescanStop(this.handle);
  }
}

/** What an early prescan is started for: a read of this file, at this size, cut this way (split.ts). */
export interface EarlyRead {
  path: string;
  size: number;
  threads: number;
  pieceBytes?: number | undefined;
  maxRecordBytes: number;
}

const earlyKey = (read: EarlyRead) => JSON.stringify([read.path, read.size, read.threads, read.pieceBytes ?? PIECE_BYTES, read.maxRecordBytes]);

let early: { key: string; prescan: Prescan } | null = null;

/**
 * Cuts the file and starts prescan threads on its pieces before the CLI loads (src/cli/early.ts).
 * False when the file is not cut (not line-delimited JSON) or no thread starts.
 */
export function startEarlyPrescan(read: EarlyRead): boolean {
  stopEarlyPrescan();
  const pieces = piecesOf(read.path, read.size, read.threads, read.pieceBytes);
  const prescan = pieces && Prescan.start(read.path, pieces, read.maxRecordBytes, read.threads);
  if (prescan) early = { key: earlyKey(read), prescan };
  return early !== null;
}

/**
 * The early prescan, with the pieces it cut, when it was started for exactly this read; null
 * otherwise. One started for another read (the file grew in between, as a live log does) stops.
 */
export function takeEarlyPrescan(read: EarlyRead): Prescan | null {
  const taken = early;
  early = null;
  if (taken && taken.key !== earlyKey(read)) {
    taken.prescan.stop();
    return null;
  }
  return taken?.prescan ?? null;
}

/** An early prescan no read took (its file was read another way) stops. */
export function stopEarlyPrescan(): void {
  early?.prescan.stop();
  early = null;
}

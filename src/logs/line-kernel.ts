import { readFileSync } from 'node:fs';

/**
 * The WebAssembly line classifier (wasm/line-scan.ts, built to line-scan.wasm beside the compiled
 * module), with the memory it reads: a region the caller fills with bytes, and the entries it writes.
 * Null from `openLineKernel` when the module is missing or this runtime cannot run WebAssembly SIMD:
 * the JavaScript scanner then reads everything, as it did before the kernel existed.
 */

/** One line the kernel could not settle alone, or a record holding a marker word. Offsets are in the region. */
export interface KernelEntry {
  start: number;
  end: number;
  /** Lines before this one in the pass. */
  lineIndex: number;
  /** Plain lines before this one in the pass. */
  plainBefore: number;
  /** True: [start, end) is a whole line (with its newline) for the JavaScript scanner; false: a candidate record. */
  other: boolean;
}

export interface KernelPass {
  /** Where the pass stopped: the `to` given, or the start of the first line left when the entries ran out. */
  reached: number;
  lines: number;
  plain: number;
  entries: KernelEntry[];
}

interface Exports {
  memory: WebAssembly.Memory;
  init(): void;
  alloc(size: number): number;
  setMaxRecordBytes(n: number): void;
  scan(from: number, to: number, out: number, capacity: number): number;
  passLines: WebAssembly.Global;
  passPlain: WebAssembly.Global;
  passEntries: WebAssembly.Global;
}

/** The kernel reads up to this far past the end of what it classifies. */
const OVERREAD = 128;
const ENTRY_CAPACITY = 16 * 1024;

let compiled: WebAssembly.Module | null | undefined;

/** Beside this module in dist/, or in dist/ when this runs from the TypeScript sources (vitest). */
const MODULE_URLS = [new URL('./line-scan.wasm', import.meta.url), new URL('../../dist/logs/line-scan.wasm', import.meta.url)];

function kernelModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  // UNSTICK_SCAN=js turns the kernel off: to compare both paths, or to rule the kernel out.
  if (process.env.UNSTICK_SCAN === 'js') return compiled;
  for (const url of MODULE_URLS) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(url);
    } catch {
      continue;
    }
    try {
      compiled = new WebAssembly.Module(bytes);
    } catch {
      compiled = null; // no WebAssembly SIMD here
    }
    break;
  }
  return compiled;
}

/** Whether the kernel can run here (false: the JavaScript scanner reads every line). */
export function lineKernelAvailable(): boolean {
  return kernelModule() !== null;
}

export class LineKernel {
  /** The bytes the kernel reads: fill from index 0. Valid as long as this kernel lives. */
  readonly region: Buffer;
  private readonly base: number;
  private readonly out: number;
  private readonly entryWords: Uint32Array;

  private constructor(
    private readonly kernel: Exports,
    readonly capacity: number,
  ) {
    this.base = kernel.alloc(capacity + OVERREAD);
    this.out = kernel.alloc(ENTRY_CAPACITY * 16);
    // Views last: an alloc may grow the memory, which detaches older views.
    this.region = Buffer.from(kernel.memory.buffer, this.base, capacity);
    this.entryWords = new Uint32Array(kernel.memory.buffer, this.out, ENTRY_CAPACITY * 4);
  }

  static open(capacity: number, maxRecordBytes: number): LineKernel | null {
    const module = kernelModule();
    if (!module) return null;
    const instance = new WebAssembly.Instance(module, {
      env: {
        abort: () => {
          throw new Error('internal: the line scan kernel aborted');
        },
      },
    });
    const exports = instance.exports as unknown as Exports;
    exports.init();
    exports.setMaxRecordBytes(maxRecordBytes);
    return new LineKernel(exports, capacity);
  }

  /** Classifies the lines of region[from, to); region[to - 1] must be a newline. */
  scan(from: number, to: number): KernelPass {
    const k = this.kernel;
    const reached = k.scan(this.base + from, this.base + to, this.out, ENTRY_CAPACITY) - this.base;
    const count = k.passEntries.value as number;
    const words = this.entryWords;
    const entries: KernelEntry[] = new Array(count);
    for (let j = 0; j < count; j++) {
      const w = j * 4;
      const flags = words[w + 3]!;
      entries[j] = { start: words[w]! - this.base, end: words[w + 1]! - this.base, lineIndex: words[w + 2]!, plainBefore: flags >>> 1, other: (flags & 1) === 1 };
    }
    return { reached, lines: k.passLines.value as number, plain: k.passPlain.value as number, entries };
  }
}

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * The line kernels: one classifier of whole lines (rules in wasm/line-scan.ts), built twice by
 * `npm run build`: a Node-API addon in C with AVX2 (native/line_scan.c -> line-scan.node, x86-64)
 * and a WebAssembly SIMD module (wasm/line-scan.ts -> line-scan.wasm, anywhere). The addon is used
 * where it loads and the CPU has AVX2, else the WebAssembly module, else none: the JavaScript scanner
 * then reads everything, as it did before the kernels existed. UNSTICK_SCAN=native|wasm|js forces
 * one (to compare them, or to rule a kernel out).
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

export type KernelKind = 'native' | 'wasm';

export interface LineKernel {
  readonly kind: KernelKind;
  /** The bytes the kernel reads: fill from index 0. Valid as long as this kernel lives. */
  readonly region: Buffer;
  readonly capacity: number;
  /** Classifies the lines of region[from, to); region[to - 1] must be a newline. */
  scan(from: number, to: number): KernelPass;
}

/** Both kernels read up to this far past the end of what they classify. */
const OVERREAD = 128;
const ENTRY_CAPACITY = 16 * 1024;

/** Beside this module in dist/, or in dist/ when this runs from the TypeScript sources (vitest). */
const built = (file: string) => [new URL(`./${file}`, import.meta.url), new URL(`../../dist/logs/${file}`, import.meta.url)];

function readEntries(words: Uint32Array, first: number, count: number, shift: number): KernelEntry[] {
  const entries: KernelEntry[] = new Array(count);
  for (let j = 0; j < count; j++) {
    const w = first + j * 4;
    const flags = words[w + 3]!;
    entries[j] = { start: words[w]! - shift, end: words[w + 1]! - shift, lineIndex: words[w + 2]!, plainBefore: flags >>> 1, other: (flags & 1) === 1 };
  }
  return entries;
}

// --- native ---

interface NativeModule {
  supported(): boolean;
  scan(region: Buffer, from: number, to: number, out: Uint32Array, maxRecordBytes: number): number;
}

let nativeModule: NativeModule | null | undefined;

function loadNative(): NativeModule | null {
  if (nativeModule !== undefined) return nativeModule;
  nativeModule = null;
  const require = createRequire(import.meta.url);
  for (const url of built('line-scan.node')) {
    try {
      const m = require(fileURLToPath(url)) as NativeModule;
      nativeModule = m.supported() ? m : null;
      break;
    } catch {
      // not built here, or built for another platform: try the next, then WebAssembly
    }
  }
  return nativeModule;
}

class NativeKernel implements LineKernel {
  readonly kind = 'native';
  readonly region: Buffer;
  private readonly padded: Buffer;
  private readonly words = new Uint32Array(4 + ENTRY_CAPACITY * 4);

  constructor(
    private readonly native: NativeModule,
    readonly capacity: number,
    private readonly maxRecordBytes: number,
  ) {
    this.padded = Buffer.alloc(capacity + OVERREAD);
    this.region = this.padded.subarray(0, capacity);
  }

  scan(from: number, to: number): KernelPass {
    const reached = this.native.scan(this.padded, from, to, this.words, this.maxRecordBytes);
    const w = this.words;
    return { reached, lines: w[0]!, plain: w[1]!, entries: readEntries(w, 4, w[2]!, 0) };
  }
}

// --- WebAssembly ---

interface WasmExports {
  memory: WebAssembly.Memory;
  init(): void;
  alloc(size: number): number;
  setMaxRecordBytes(n: number): void;
  scan(from: number, to: number, out: number, capacity: number): number;
  passLines: WebAssembly.Global;
  passPlain: WebAssembly.Global;
  passEntries: WebAssembly.Global;
}

let wasmModule: WebAssembly.Module | null | undefined;

function loadWasm(): WebAssembly.Module | null {
  if (wasmModule !== undefined) return wasmModule;
  wasmModule = null;
  for (const url of built('line-scan.wasm')) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(url);
    } catch {
      continue;
    }
    try {
      wasmModule = new WebAssembly.Module(bytes);
    } catch {
      wasmModule = null; // no WebAssembly SIMD here
    }
    break;
  }
  return wasmModule;
}

class WasmKernel implements LineKernel {
  readonly kind = 'wasm';
  readonly region: Buffer;
  private readonly base: number;
  private readonly out: number;
  private readonly entryWords: Uint32Array;
  private readonly kernel: WasmExports;

  constructor(
    module: WebAssembly.Module,
    readonly capacity: number,
    maxRecordBytes: number,
  ) {
    const instance = new WebAssembly.Instance(module, {
      env: {
        abort: () => {
          throw new Error('internal: the line scan kernel aborted');
        },
      },
    });
    this.kernel = instance.exports as unknown as WasmExports;
    this.kernel.init();
    this.kernel.setMaxRecordBytes(maxRecordBytes);
    this.base = this.kernel.alloc(capacity + OVERREAD);
    this.out = this.kernel.alloc(ENTRY_CAPACITY * 16);
    // Views last: an alloc may grow the memory, which detaches older views.
    this.region = Buffer.from(this.kernel.memory.buffer, this.base, capacity);
    this.entryWords = new Uint32Array(this.kernel.memory.buffer, this.out, ENTRY_CAPACITY * 4);
  }

  scan(from: number, to: number): KernelPass {
    const k = this.kernel;
    const reached = k.scan(this.base + from, this.base + to, this.out, ENTRY_CAPACITY) - this.base;
    const entries = readEntries(this.entryWords, 0, k.passEntries.value as number, this.base);
    return { reached, lines: k.passLines.value as number, plain: k.passPlain.value as number, entries };
  }
}

// --- choice ---

/** The kernels this machine can run, fastest first (UNSTICK_SCAN narrows it to one, or none). */
export function availableKernels(): KernelKind[] {
  return KERNELS.filter(runs).map(([kind]) => kind);
}

/** Fastest first. */
const KERNELS: ReadonlyArray<readonly [KernelKind, () => unknown]> = [
  ['native', loadNative],
  ['wasm', loadWasm],
];

const runs = ([kind, load]: readonly [KernelKind, () => unknown]): boolean => {
  const forced = process.env.UNSTICK_SCAN;
  return (!forced || forced === kind) && load() !== null;
};

/** The fastest kernel this machine runs, loading no slower one; null when none runs. */
function fastestKernel(): KernelKind | null {
  return KERNELS.find(runs)?.[0] ?? null;
}

/** The native addon, when it is the kernel chosen here (it also runs the prescan threads, prescan.ts). */
export function nativeKernelModule(): object | null {
  return fastestKernel() === 'native' ? loadNative() : null;
}

/** Whether a kernel can run here (false: the JavaScript scanner reads every line). */
export function lineKernelAvailable(): boolean {
  return fastestKernel() !== null;
}

/** Kernels given back (releaseLineKernel), for the next reader of the same shape: a region is megabytes. */
const released: Array<{ kernel: LineKernel; maxRecordBytes: number }> = [];

/** A reader is done with its kernel (and its region). */
export function releaseLineKernel(kernel: LineKernel, maxRecordBytes: number): void {
  if (released.length < 4) released.push({ kernel, maxRecordBytes });
}

/** A kernel with a region of `capacity` bytes: the one asked for, else the fastest here; null when none runs. */
export function openLineKernel(capacity: number, maxRecordBytes: number, kind?: KernelKind): LineKernel | null {
  const chosen = kind ?? fastestKernel();
  const reuse = released.findIndex((r) => r.kernel.kind === chosen && r.kernel.capacity === capacity && r.maxRecordBytes === maxRecordBytes);
  if (reuse >= 0) return released.splice(reuse, 1)[0]!.kernel;
  if (chosen === 'native' && loadNative()) return new NativeKernel(loadNative()!, capacity, maxRecordBytes);
  if (chosen === 'wasm' && loadWasm()) return new WasmKernel(loadWasm()!, capacity, maxRecordBytes);
  return null;
}

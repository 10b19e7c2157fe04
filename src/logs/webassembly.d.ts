// The part of the WebAssembly JavaScript API that line-kernel.ts uses: Node has it, but neither the
// ES libraries nor @types/node 20 declare it.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  interface Memory {
    readonly buffer: ArrayBuffer;
  }
  interface Global {
    value: unknown;
  }
}

import { describe, expect, it } from 'vitest';
import { availableKernels, type KernelKind } from '../../src/logs/line-kernel.js';
import { MARKER_WORDS } from '../../src/logs/markers.js';
import { prng as rng } from '../../scripts/prng.js';
import { cpuIsas, expectSame, input, kernelVariants, nativeIsa, useVariant, withJs, withKernel } from './scan-oracle.js';

/**
 * The WebAssembly fast path must read every input exactly as the JavaScript scanner does: the same
 * malformed lines with the same reasons, the same record count, every record it hands over a real
 * record, and every record that holds a marker handed over as a candidate.
 */

describe('line kernels', () => {
  it('both are built and run here (the tests below would otherwise test the JavaScript scanner against itself)', () => {
    // The native one is x86-64 with AVX2 (where CI runs); the WebAssembly one runs anywhere.
    const expected: KernelKind[] = process.arch === 'x64' && process.platform === 'linux' ? ['native', 'wasm'] : ['wasm'];
    expect(availableKernels()).toEqual(expected);
    // And the native one runs with the best instruction set the CPU has.
    if (expected.includes('native')) expect(nativeIsa()).toBe(cpuIsas()[0]);
  });
});

describe.each(kernelVariants())('LineScanner with the $label kernel', (variant) => {
  useVariant(variant);
  const kind = variant.kind;

  it('reads random damaged line-delimited input exactly as the JavaScript scanner, whatever the chunking and region size', () => {
    let plainSeen = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const buf = input(seed, 30 + (seed % 40));
      const maxRecordBytes = seed % 3 === 0 ? 300 : 4 * 1024 * 1024;
      const r = rng(seed * 7);
      const chunks = seed % 4 === 0 ? null : Array.from({ length: 3 }, () => 1 + Math.floor(r() * 700));
      const region = [256, 1000, 4096, 1 << 20][seed % 4]!;
      for (const lineDelimited of [true, undefined]) {
        const js = withJs(buf, chunks, maxRecordBytes, lineDelimited);
        const fast = withKernel(buf, chunks, maxRecordBytes, lineDelimited, region, kind, seed % 5 === 0 ? 5 : 0);
        expectSame(js, fast, `seed ${seed}, region ${region}, chunks ${JSON.stringify(chunks)}, lineDelimited ${lineDelimited}`, chunks === null);
        plainSeen += fast.plain;
      }
    }
    expect(plainSeen).toBeGreaterThan(1000); // the kernel really counted lines
  });

  it('every byte value, at every place in a record, gives the JavaScript scanner\'s answer', () => {
    const template = Buffer.from('{"key":"value","n":[1,true],"o":{}}');
    const lines: Buffer[] = [];
    for (let at = 0; at <= template.length; at++) {
      for (let b = 0; b < 256; b++) {
        if (b === 0x0a) continue;
        lines.push(Buffer.concat([template.subarray(0, at), Buffer.from([b]), template.subarray(at), Buffer.from('\n')]));
      }
    }
    const buf = Buffer.concat(lines);
    const js = withJs(buf, null, 4 * 1024 * 1024, true);
    const fast = withKernel(buf, null, 4 * 1024 * 1024, true, 1 << 20, kind);
    expectSame(js, fast, 'byte sweep', true);
    expect(fast.plain).toBeGreaterThan(0);
  });

  // The kernels spell these words out (with their fingerprints): a word added to MARKER_WORDS fails
  // here until native/line_scan.c and wasm/line-scan.ts know it too.
  it('finds each marker word in any casing at every offset of a 64-byte block', () => {
    for (const word of MARKER_WORDS) {
      const lines: string[] = [];
      for (let pad = 0; pad < 70; pad++) lines.push(`{"d":"${'z'.repeat(pad)}${[...word].map((c, i) => ((pad + i) % 3 === 0 ? c.toUpperCase() : c)).join('')}"}`);
      const buf = Buffer.from(lines.join('\n') + '\n');
      const fast = withKernel(buf, null, 4 * 1024 * 1024, true, 1 << 20, kind);
      expect(fast.records.filter((r) => r.candidate)).toHaveLength(70);
      expect(fast.plain).toBe(0);
    }
  });

  it('checks brackets as strictly in the middle of long lines (blocks with no newline) as at their ends', () => {
    const lines: string[] = [];
    for (let pad = 0; pad < 70; pad++) {
      const x = 'x'.repeat(pad);
      const y = 'y'.repeat(80);
      lines.push(`{"p":"${x}","a":[1},"q":"${y}"}`); // ] expected
      lines.push(`{"p":"${x}","a":{"b":1],"q":"${y}"}`); // } expected
      lines.push(`{"p":"${x}","a":[{"b":[1,2]},3],"q":"${y}"}`);
      lines.push(`{"p":"${x}","a":[[[{}]]]}],"q":"${y}"}`); // one ] too many
      lines.push(`${' '.repeat(pad)}${'{"d":['.repeat(40)}1${']}'.repeat(40)}`); // deeper than the kernel tracks
      lines.push(`{"p":"${x}",${'"d":{'.repeat(30)}"e":[${'['.repeat(30)}1${']'.repeat(29)}}]${'}'.repeat(30)},"q":"${y}"}`);
    }
    const buf = Buffer.from(lines.join('\n') + '\n');
    const js = withJs(buf, null, 4 * 1024 * 1024, true);
    expect(js.malformed.length).toBeGreaterThanOrEqual(70 * 3); // the damaged lines are damaged
    expectSame(js, withKernel(buf, null, 4 * 1024 * 1024, true, 1 << 20, kind), 'long lines', true);
  });

  it('counts a near miss as plain: no record is parsed without a marker', () => {
    const buf = Buffer.from(['{"d":"exis t"}', '{"d":"duplica"}', '{"d":"conflic","ua":"AppleWebKit Mac OS X xi pl fl"}', '{"d":"exis","e":"t"}'].join('\n') + '\n');
    const fast = withKernel(buf, null, 4 * 1024 * 1024, true, 1 << 20, kind);
    expect(fast.records).toEqual([]);
    expect(fast.plain).toBe(4);
  });
});

import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/cli/context.js';
import { ByteProgress } from '../../src/cli/progress.js';

function ctxWith(tty: boolean, now?: () => Date) {
  const stderr = Object.assign(new PassThrough(), { isTTY: tty });
  let written = '';
  stderr.on('data', (d: Buffer) => (written += d.toString()));
  return { ctx: createContext({ stderr, stdout: new PassThrough(), env: {}, ...(now ? { now } : {}) }), written: () => written };
}

describe('ByteProgress', () => {
  it('draws on a terminal once the work takes more than a moment, then clears its line', async () => {
    const { ctx, written } = ctxWith(true);
    const progress = new ByteProgress(ctx, 'Scanning', 0);
    await new Promise((r) => setTimeout(r, 5));
    progress.update(50e6, 200e6);
    await new Promise((r) => setImmediate(r));
    expect(written()).toMatch(/Scanning 50 MB \/ 200 MB 25%/);
    progress.done();
    await new Promise((r) => setImmediate(r));
    expect(written().endsWith('\r\u001b[2K')).toBe(true);
  });

  it('stays silent when stderr is not a terminal, and during the first moment', async () => {
    const piped = ctxWith(false);
    const p1 = new ByteProgress(piped.ctx, 'Scanning', 0);
    p1.update(1, 2);
    p1.done();
    const quick = ctxWith(true);
    const p2 = new ByteProgress(quick.ctx, 'Scanning', 60_000);
    p2.update(1, 2);
    p2.done();
    await new Promise((r) => setImmediate(r));
    expect(piped.written()).toBe('');
    expect(quick.written()).toBe('');
  });

  it('reads time from ctx.now: the delay, the redraw interval and the rate follow a fake clock', async () => {
    let t = Date.parse('2024-05-02T10:00:00Z');
    const { ctx, written } = ctxWith(true, () => new Date(t));
    const progress = new ByteProgress(ctx, 'Scanning', 400);
    t += 399;
    progress.update(1e6, 10e6);
    await new Promise((r) => setImmediate(r));
    expect(written()).toBe(''); // still within the first moment
    t += 1601; // 2 s in
    progress.update(20e6, 100e6);
    await new Promise((r) => setImmediate(r));
    expect(written()).toBe('\r\u001b[2KScanning 20 MB / 100 MB 20% (10 MB/s)');
    t += 50; // redraws at most every 100 ms
    progress.update(21e6, 100e6);
    await new Promise((r) => setImmediate(r));
    expect(written()).not.toContain('Scanning 21 MB');
  });
});

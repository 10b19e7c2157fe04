import type { Context } from './context.js';

/**
 * Byte progress on stderr, only when stderr is a terminal and only once the work has taken more
 * than a moment, so quick runs and pipes see nothing.
 */
export class ByteProgress {
  private readonly startedAt: number;
  private lastDraw = 0;
  private drawn = false;
  private readonly enabled: boolean;

  constructor(
    private readonly ctx: Pick<Context, 'stderr' | 'now'>,
    private readonly label: string,
    private readonly delayMs = 400,
  ) {
    this.enabled = ctx.stderr.isTTY === true;
    this.startedAt = ctx.now().getTime();
  }

  update(done: number, total: number | null): void {
    if (!this.enabled) return;
    const now = this.ctx.now().getTime();
    if (now - this.startedAt < this.delayMs || now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.drawn = true;
    const pct = total ? ` ${Math.min(100, Math.floor((done / total) * 100))}%` : '';
    const of = total ? ` / ${mb(total)}` : '';
    const rate = mb(done / Math.max(0.001, (now - this.startedAt) / 1000));
    this.ctx.stderr.write(`\r\u001b[2K${this.label} ${mb(done)}${of}${pct} (${rate}/s)`);
  }

  done(): void {
    if (this.drawn) this.ctx.stderr.write('\r\u001b[2K');
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;
}

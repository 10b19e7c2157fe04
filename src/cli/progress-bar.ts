import cliProgress from 'cli-progress';
import type { Context } from './context.js';

/**
 * A progress bar for long work, on stderr and only when stderr is a terminal (pipes, CI and --json
 * consumers see nothing): counts, rate and ETA, drawn by cli-progress.
 */
export class CountProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private started = false;

  constructor(
    ctx: Pick<Context, 'stderr'>,
    unit: string,
    private total: number | null,
  ) {
    this.bar =
      ctx.stderr.isTTY === true
        ? new cliProgress.SingleBar(
            {
              stream: ctx.stderr as NodeJS.WriteStream,
              format: total ? `{bar} {percentage}% | {value}/{total} ${unit} | {speed}/s | ETA {eta_formatted} | {detail}` : `{value} ${unit} | {speed}/s | {detail}`,
              hideCursor: false,
              clearOnComplete: true,
              etaBuffer: 50,
              fps: 5,
            },
            cliProgress.Presets.shades_classic,
          )
        : null;
  }

  update(done: number, detail: string, speed: number): void {
    if (!this.bar) return;
    const payload = { detail, speed: speed.toFixed(1) };
    if (!this.started) {
      this.bar.start(this.total ?? 0, done, payload);
      this.started = true;
    } else this.bar.update(done, payload);
  }

  stop(): void {
    if (this.started) this.bar?.stop();
    this.started = false;
  }
}

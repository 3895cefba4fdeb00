/**
 * JSONL output written line by line through a fixed-size buffer: memory does not grow with the
 * dataset. Writes go to a temporary name; `commit` renames it into place, so a failed export
 * never leaves a truncated file under the final name.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

const FLUSH_AT = 1 << 20;

export class JsonlWriter {
  private readonly fd: number;
  private buffer: string[] = [];
  private buffered = 0;
  rows = 0;
  bytes = 0;

  constructor(
    readonly tempFile: string,
    readonly finalFile: string,
  ) {
    this.fd = openSync(tempFile, 'w');
  }

  write(value: unknown): void {
    const line = `${JSON.stringify(value)}\n`;
    this.buffer.push(line);
    this.buffered += line.length;
    this.rows++;
    if (this.buffered >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    const chunk = Buffer.from(this.buffer.join(''), 'utf8');
    writeSync(this.fd, chunk);
    this.bytes += chunk.length;
    this.buffer = [];
    this.buffered = 0;
  }

  /** Flushes, closes and renames into place. */
  commit(): void {
    this.flush();
    closeSync(this.fd);
    renameSync(this.tempFile, this.finalFile);
  }

  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    rmSync(this.tempFile, { force: true });
  }
}

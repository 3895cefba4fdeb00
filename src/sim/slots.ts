/**
 * A server's slots: at most `size` requests are processed at once, the rest wait in arrival order,
 * as in llama.cpp's server. A slot is held until the response closes (sent, or the client left),
 * so a hung request keeps its slot as it would on a real server.
 */
import type { ServerResponse } from 'node:http';

export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  /**
   * Takes a slot for `res`: `true` at once when one is free, else a promise of whether one was
   * given before the client left; `false` when it has left already.
   */
  take(res: ServerResponse): boolean | Promise<boolean> {
    // A closed response will not close again to give its slot back.
    if (res.closed) return false;
    if (this.free > 0) {
      this.free--;
      this.holdUntilClosed(res);
      return true;
    }
    return new Promise((resolve) => {
      const grant = () => {
        res.off('close', leave);
        this.holdUntilClosed(res);
        resolve(true);
      };
      const leave = () => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        resolve(false);
      };
      this.waiting.push(grant);
      res.once('close', leave);
    });
  }

  private holdUntilClosed(res: ServerResponse): void {
    res.once('close', () => {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    });
  }
}

// A count of long-lived things (event streams) open at once, in total and per client address, so that one client,
// or many, cannot hold the server's sockets and subscriptions without end. Each refusal says which limit was hit.

import { BootwrightError } from '../errors.js';

export class ClientSlots {
  private readonly byClient = new Map<string, number>();
  private openCount = 0;

  /** `what` names the things counted in refusals, in the plural ("event streams"). */
  constructor(
    private readonly what: string,
    private readonly total: number,
    private readonly perClient: number,
  ) {}

  /**
   * Takes a slot for `client` (its address; `::ffff:` mapped IPv4 counts as IPv4) and returns what gives it back,
   * which does so once however often it is called. Throws E_TOO_MANY (429) when this client holds its share, and
   * E_UNAVAILABLE (503) when the server holds all it allows.
   */
  take(client: string | undefined): () => void {
    const key = (client ?? '').replace(/^::ffff:/, '');
    const held = this.byClient.get(key) ?? 0;
    if (held >= this.perClient) {
      throw new BootwrightError(
        'E_TOO_MANY',
        `${key || 'This client'} already has ${held} ${this.what} open, the most one address may; close one first.`,
      );
    }
    if (this.openCount >= this.total) {
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `This server already has ${this.openCount} ${this.what} open, the most it allows; try again when one closes.`,
      );
    }
    this.byClient.set(key, held + 1);
    this.openCount += 1;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.openCount -= 1;
      const left = (this.byClient.get(key) ?? 1) - 1;
      if (left === 0) this.byClient.delete(key);
      else this.byClient.set(key, left);
    };
  }
}

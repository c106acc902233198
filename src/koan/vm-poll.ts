// --vm-poll: wait for the install VM to stop, then say how it ended (cobbler-koan.md §7.3). The install
// definition turns a power-off, a reboot and a crash into "shut off"; libvirt's reason tells a finished install
// (shutdown, destroyed) from a crashed one. Koan sleeps a minute between looks; here it is a few seconds, with a
// line now and then so that a log shows the wait is alive.

import { setTimeout as sleep } from 'node:timers/promises';
import { BootwrightError, quote } from '../errors.js';
import type { DomainState, Libvirt } from './libvirt.js';

export type InstallEnding = 'finished' | 'crashed';

export interface PollOptions {
  intervalMs: number;
  /** A line of progress, at most once a minute. */
  say(line: string): void;
  /** Give up after this long (no limit when absent). */
  timeoutMs?: number;
  now?: () => number;
}

function elapsed(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
}

export async function waitForInstall(
  libvirt: Libvirt,
  name: string,
  options: PollOptions,
): Promise<InstallEnding> {
  const now = options.now ?? Date.now;
  const started = now();
  let lastSaid = started;
  for (;;) {
    let state: DomainState;
    try {
      state = await libvirt.state(name);
    } catch (error) {
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `Lost track of ${quote(name)} while the install ran (${(error as Error).message}); when libvirt is back, "virsh -c ${libvirt.uri} domstate ${name}" tells whether it finished, and "virsh start ${name}" boots the installed system.`,
      );
    }
    if (state.state === 'crashed' || (state.state === 'shut off' && state.reason === 'crashed'))
      return 'crashed';
    if (state.state === 'shut off') return 'finished';
    const waited = now() - started;
    if (options.timeoutMs !== undefined && waited > options.timeoutMs) {
      throw new BootwrightError(
        'E_UNAVAILABLE',
        `The install in ${quote(name)} is still ${state.state} after ${elapsed(waited)}; look at its console ("virsh console ${name}").`,
      );
    }
    if (now() - lastSaid >= 60_000) {
      options.say(`install in ${name} is still ${state.state} (${elapsed(waited)})`);
      lastSaid = now();
    }
    await sleep(options.intervalMs);
  }
}

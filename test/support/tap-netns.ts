// One network namespace with a bridge holding 192.0.2.1/24 (RFC 5737, documentation only) and a tap device on it,
// for a QEMU guest to boot from a server running in the same namespace: the guest's broadcasts, leases and
// transfers stay inside, and nothing can reach a real network. Needs root and iproute2.
// Everything is removed in `after`, whether the test passed or not: processes by their id, then the namespace,
// which takes the bridge and the tap with it.

import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { ip, killChildren } from './netns.js';

export interface TapNamespace {
  name: string;
  /** The bridge's address: where a server in the namespace listens. */
  address: string;
  bridge: string;
  /** The tap device for QEMU's `-netdev tap,ifname=...`. */
  tap: string;
  /** Starts a process inside the namespace; it is killed (by its id) when the test ends. */
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Runs a command inside the namespace and returns its stdout. */
  exec(command: string, args: string[]): string;
}

export async function createTapNamespace(
  context: { after: TestContext['after'] },
  { prefix = 'bw-tap' }: { prefix?: string } = {},
): Promise<TapNamespace> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const address = '192.0.2.1';
  const bridge = 'bwbr0';
  const tap = 'bwtap0';
  const children: ChildProcess[] = [];
  context.after(async () => {
    await killChildren(children);
    ip(['netns', 'delete', name], true);
  });

  ip(['netns', 'add', name]);
  ip(['-n', name, 'link', 'set', 'lo', 'up']);
  ip(['-n', name, 'link', 'add', bridge, 'type', 'bridge']);
  ip(['-n', name, 'addr', 'add', `${address}/24`, 'dev', bridge]);
  ip(['-n', name, 'tuntap', 'add', 'dev', tap, 'mode', 'tap']);
  ip(['-n', name, 'link', 'set', tap, 'master', bridge]);
  ip(['-n', name, 'link', 'set', tap, 'up']);
  // Until QEMU opens the tap, the bridge has no carrier; its address is there all the same.
  ip(['-n', name, 'link', 'set', bridge, 'up']);

  return {
    name,
    address,
    bridge,
    tap,
    spawn(command, args, options = {}) {
      const child = spawn('ip', ['netns', 'exec', name, command, ...args], options);
      children.push(child);
      return child;
    },
    exec(command, args) {
      return execFileSync('ip', ['netns', 'exec', name, command, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    },
  };
}

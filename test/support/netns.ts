// Two network namespaces joined by a veth pair, for tests that need a real network between a server and a client:
// packet loss, other addresses than loopback. Needs root and iproute2 (plus nftables where tc's netem is missing).
// Addresses come from 192.0.2.0/24 (RFC 5737, documentation only), so nothing can leak to a real network.
// Everything is removed in `after`, whether the test passed or not: processes by their id, then the namespaces.

import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { TestContext } from 'node:test';

export interface Namespace {
  name: string;
  address: string;
}

export interface NetnsPair {
  server: Namespace;
  client: Namespace;
  /** How loss was applied: tc netem where the kernel has it, else an nftables rule dropping at random. */
  lossMethod: 'netem' | 'nftables' | 'none';
  /** Packets dropped so far by the loss rule, both namespaces together: proof that the link really lost some. */
  droppedPackets(): number;
  /** Starts a process inside a namespace; it is killed (by its id) when the test ends. */
  spawn(namespace: Namespace, command: string, args: string[], options?: SpawnOptions): ChildProcess;
}

export function canCreateNetns(): boolean {
  return process.getuid?.() === 0;
}

/** Kills test processes by pid and waits until each is gone, so that a namespace can be deleted after them. */
export async function killChildren(children: readonly ChildProcess[]): Promise<void> {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
    const exited = once(child, 'exit');
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      continue; // it exited just now
    }
    await exited;
  }
}

/**
 * Namespaces are named PREFIX-RANDOM-s and PREFIX-RANDOM-c. `lossPercent` is applied to packets entering each
 * namespace, so in both directions.
 */
export async function createNetnsPair(
  context: { after: TestContext['after'] },
  { lossPercent = 0, prefix = 'bw-test' }: { lossPercent?: number; prefix?: string } = {},
): Promise<NetnsPair> {
  const id = randomBytes(3).toString('hex');
  const server = { name: `${prefix}-${id}-s`, address: '192.0.2.1' };
  const client = { name: `${prefix}-${id}-c`, address: '192.0.2.2' };
  const children: ChildProcess[] = [];
  context.after(async () => {
    await killChildren(children);
    for (const ns of [server, client]) ip(['netns', 'delete', ns.name], true);
  });

  ip(['netns', 'add', server.name]);
  ip(['netns', 'add', client.name]);
  // Created straight inside the namespaces, so the same name can be used on both sides and none in the host.
  ip([
    'link',
    'add',
    'bwveth',
    'netns',
    server.name,
    'type',
    'veth',
    'peer',
    'name',
    'bwveth',
    'netns',
    client.name,
  ]);
  for (const ns of [server, client]) {
    ip(['-n', ns.name, 'addr', 'add', `${ns.address}/24`, 'dev', 'bwveth']);
    ip(['-n', ns.name, 'link', 'set', 'bwveth', 'up']);
    ip(['-n', ns.name, 'link', 'set', 'lo', 'up']);
  }

  let lossMethod: NetnsPair['lossMethod'] = 'none';
  if (lossPercent > 0) lossMethod = addLoss([server, client], lossPercent);

  return {
    server,
    client,
    lossMethod,
    droppedPackets() {
      return [server, client].reduce((sum, ns) => sum + dropped(ns, lossMethod), 0);
    },
    spawn(namespace, command, args, options = {}) {
      const child = spawn('ip', ['netns', 'exec', namespace.name, command, ...args], options);
      children.push(child);
      return child;
    },
  };
}

function addLoss(namespaces: Namespace[], percent: number): 'netem' | 'nftables' {
  try {
    for (const ns of namespaces) {
      execFileSync(
        'tc',
        ['-n', ns.name, 'qdisc', 'add', 'dev', 'bwveth', 'root', 'netem', 'loss', `${percent}%`],
        {
          stdio: 'pipe',
        },
      );
    }
    return 'netem';
  } catch {
    // Kernels built without CONFIG_NET_SCH_NETEM ("Specified qdisc kind is unknown"): drop at random with
    // nftables instead, on the way in to each namespace.
  }
  const rules = `table inet bw_loss {
  chain input {
    type filter hook input priority 0;
    iifname "bwveth" numgen random mod 100 < ${percent} counter drop
  }
}
`;
  for (const ns of namespaces) {
    execFileSync('ip', ['netns', 'exec', ns.name, 'nft', '-f', '-'], {
      input: rules,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }
  return 'nftables';
}

function dropped(ns: Namespace, method: NetnsPair['lossMethod']): number {
  if (method === 'none') return 0;
  const [command, args, pattern] =
    method === 'netem'
      ? ['tc', ['-n', ns.name, '-s', 'qdisc', 'show', 'dev', 'bwveth'], /dropped (\d+)/]
      : [
          'ip',
          ['netns', 'exec', ns.name, 'nft', 'list', 'table', 'inet', 'bw_loss'],
          /counter packets (\d+)/,
        ];
  const match = pattern.exec(execFileSync(command, args, { encoding: 'utf8' }));
  return Number(match?.[1] ?? 0);
}

/** Runs `ip` with the arguments; a failure throws with ip's own message unless ignored (cleanup). */
export function ip(args: string[], ignoreFailure = false): void {
  try {
    execFileSync('ip', args, { stdio: 'pipe' });
  } catch (error) {
    if (!ignoreFailure) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
      throw new Error(`Command "ip ${args.join(' ')}" failed: ${stderr || String(error)}`);
    }
  }
}

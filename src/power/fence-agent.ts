// Any fence agent, Cobbler's way: power_type names `fence_TYPE` from fence-agents, which gets its options on
// standard input as `key=value` lines (the fence agent API), the password among them, never on a command line.
// Exit status 0 is success (and "on" for status), 2 is "off" for status; the status line is "Status: ON|OFF".

import { existsSync } from 'node:fs';
import { BootwrightError } from '../errors.js';
import type { PowerAction, PowerDriver, PowerOutcome, PowerTarget } from './contract.js';
import { lastLine, runTool } from './run-tool.js';

const agentDirs = ['/usr/sbin', '/sbin'];

/** The agent's path, or undefined when fence-agents does not have it here. */
export function fenceAgentPath(type: string): string | undefined {
  if (!/^[a-z0-9_]+$/i.test(type)) return undefined;
  return agentDirs.map((dir) => `${dir}/fence_${type}`).find((path) => existsSync(path));
}

function agentInput(action: PowerAction, target: PowerTarget): string {
  const lines = [`action=${action}`];
  if (target.address) lines.push(`ip=${target.address}`);
  if (target.user) lines.push(`username=${target.user}`);
  if (target.id) lines.push(`plug=${target.id}`);
  if (target.password) lines.push(`password=${target.password}`);
  if (target.identityFile) lines.push(`identity_file=${target.identityFile}`);
  for (const [key, value] of Object.entries(target.options)) lines.push(`${key}=${value}`);
  return `${lines.join('\n')}\n`;
}

export function fenceAgentDriver(type: string): PowerDriver {
  const name = `fence_${type}`;
  return {
    name,
    async run(action: PowerAction, target: PowerTarget, signal: AbortSignal): Promise<PowerOutcome> {
      const path = fenceAgentPath(type);
      if (!path) {
        throw new BootwrightError(
          'E_UNAVAILABLE',
          `System ${target.system}: power type ${JSON.stringify(type)} needs ${name}, which is not installed; install fence-agents or set --power-type.`,
        );
      }
      const run = await runTool(path, [], {
        signal,
        input: agentInput(action, target),
        system: target.system,
      });
      // PowerControl takes any echoed password out of what reaches the caller and the timeline.
      const said = lastLine(run);
      if (action === 'status' && (run.code === 0 || run.code === 2)) {
        const state = /^(?:Status:|.+power\s=)\s*(on|off)\s*$/im.exec(run.stdout)?.[1]?.toLowerCase();
        return { state: state === 'off' || (!state && run.code === 2) ? 'off' : 'on', said };
      }
      if (run.code !== 0) {
        throw new BootwrightError(
          'E_UNAVAILABLE',
          `System ${target.system}: ${name} ${action} failed: ${said}.`,
        );
      }
      return { said, state: action === 'off' ? 'off' : 'on' };
    },
  };
}

// `bootwright ext-nodes FQDN` and `bootwright role test FQDN`. The first is the script puppet runs as its
// external node classifier (puppet.conf: `node_terminus = exec`, `external_nodes = /usr/bin/bootwright ext-nodes`,
// or a wrapper that adds --data-dir): it prints the ENC YAML and records the host's check-in. The second tells a
// person which role rules match a host and why, and what the host would get; it records nothing.

import type { Classification } from '../enc/classify.js';
import { checkInEvent, classifyHost, indexedSystemFinder } from '../enc/classify-host.js';
import { renderEncYaml } from '../enc/enc-yaml.js';
import { quote } from '../errors.js';
import { usageError } from './args.js';
import { type GlobalOptions, openBackend } from './backend.js';
import { formatJson } from './format.js';
import { commandLabel, type Invocation } from './invocation.js';

function requireOperand(invocation: Invocation): string {
  const { operand } = invocation;
  if (operand === undefined || operand === '') {
    const label = commandLabel(invocation);
    throw usageError(
      `${quote(label)} needs the host name: ${label} ${invocation.command.operand ?? 'FQDN'}.`,
    );
  }
  return operand;
}

const systemVia = { dns_name: 'DNS name', hostname: 'hostname' } as const;

/** What `role test` prints: the system found, every rule in the order tried with why, then the ENC answer. */
export function formatRoleTest(classification: Classification): string {
  const { system, rules } = classification;
  const lines = [`Host ${classification.fqdn}\n`];
  lines.push(
    system
      ? `System: ${system.name} (found by ${systemVia[system.via]}); its status and mgmt_* fields count too\n`
      : 'System: none has this DNS name or hostname; the rules alone decide\n',
  );
  if (rules.length === 0) lines.push('Rules: none; "bootwright role add" makes one\n');
  else {
    lines.push('Rules, in the order tried:\n');
    const nameWidth = Math.max(...rules.map((verdict) => verdict.rule.length));
    const outcomes = { matched: 'matched', 'no-match': 'no match', 'not-tried': 'not tried' };
    for (const verdict of rules) {
      const priority = `priority ${verdict.priority}`.padEnd(13);
      lines.push(
        `  ${verdict.rule.padEnd(nameWidth)}  ${priority} ${outcomes[verdict.outcome].padEnd(9)}  ${verdict.why}\n`,
      );
    }
  }
  lines.push('ENC answer:\n', renderEncYaml(classification));
  return lines.join('');
}

async function runExtNodes(fqdn: string, invocation: Invocation, globals: GlobalOptions): Promise<void> {
  if (invocation.format === 'json') {
    throw usageError(
      `${quote(commandLabel(invocation))} prints YAML for puppet; "bootwright role test --format=json ${fqdn}" gives JSON.`,
    );
  }
  const { local, localEvents, remote, close } = await openBackend(globals);
  try {
    if (remote) {
      // As cobbler-ext-nodes: the server classifies and records the check-in.
      invocation.io.stdout.write(await remote.nodeClassifierYaml(fqdn));
      return;
    }
    if (!local || !localEvents) return;
    const classification = await classifyHost(local, fqdn, indexedSystemFinder(local));
    await localEvents.append([checkInEvent(classification)]);
    invocation.io.stdout.write(renderEncYaml(classification));
  } finally {
    await close();
  }
}

async function runRoleTest(fqdn: string, invocation: Invocation, globals: GlobalOptions): Promise<void> {
  const { backend, close } = await openBackend(globals);
  try {
    const classification = await classifyHost(backend, fqdn);
    invocation.io.stdout.write(
      invocation.format === 'json' ? formatJson(classification) : formatRoleTest(classification),
    );
  } finally {
    await close();
  }
}

export async function runEncCommand(
  word: 'ext-nodes' | 'role',
  invocation: Invocation,
  globals: GlobalOptions,
): Promise<void> {
  const fqdn = requireOperand(invocation);
  if (word === 'ext-nodes') await runExtNodes(fqdn, invocation, globals);
  else await runRoleTest(fqdn, invocation, globals);
}

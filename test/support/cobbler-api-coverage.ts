// Which of Cobbler 3.3's XML-RPC methods bootwright leaves out, and why: the README's list is made from the method
// list read from Cobbler's source (cobbler-3.3-remote-methods.json) less the methods the server answers, with the
// reasons below, so that the README, the list and the server cannot drift apart (cobbler-api-coverage.test.ts).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isObjectKind } from '../../src/model/kinds.js';

export interface CobblerMethod {
  name: string;
  arguments: string[];
  optional: Record<string, unknown>;
  token: 'required' | 'optional' | 'none';
  checksAccess: boolean;
}

export const cobblerMethods: CobblerMethod[] = (
  JSON.parse(
    readFileSync(fileURLToPath(new URL('./cobbler-3.3-remote-methods.json', import.meta.url)), 'utf8'),
  ) as { methods: CobblerMethod[] }
).methods;

/** Why a method is left out; methods of object kinds bootwright does not have are explained by kindReason. */
export const omissionReasons: Record<string, string> = {
  background_buildiso: 'bootwright builds no ISO images; its installs boot over the network',
  background_aclsetup:
    "sets file ACLs on Cobbler's own directories; bootwright's data directory has its own modes",
  background_replicate: 'use `bootwright replicate --master=URL`',
  background_power_system: 'no power management drivers yet (ARCHITECTURE.md, "A power driver")',
  power_system: 'no power management drivers yet (ARCHITECTURE.md, "A power driver")',
  background_mkloaders: 'bootwright serves the loaders it finds (`bootwright check` says which are missing)',
  background_load_items: 'Cobbler\'s own dispatcher refuses it ("forbidden method"): it is internal',
  auto_add_repos: "reads the server's own dnf configuration, which a bootwright server need not have",
  generate_bootcfg: 'VMware ESXi boot.cfg files are not rendered (no ESXi boot support)',
  get_authn_module_name:
    'Cobbler answers it only for its CLI on the server; bootwright has one authentication',
};

/** The kind a per-kind method is about (`get_images_since` → image), if it names one. */
function kindOf(method: string): string | undefined {
  const kinds = ['distro', 'profile', 'system', 'repo', 'image', 'mgmtclass', 'package', 'file', 'menu'];
  const plural = (kind: string) => (kind.endsWith('s') ? `${kind}es` : `${kind}s`);
  return kinds.find(
    (kind) =>
      new RegExp(`(?:^|_)(?:${kind}|${plural(kind)})(?:_|$)`).test(method) ||
      method === `get_valid_${kind}_boot_loaders`,
  );
}

/** Why `method` is not answered, or undefined when nothing says why (the coverage test then fails). */
export function omissionReason(method: string): string | undefined {
  const reason = omissionReasons[method];
  if (reason) return reason;
  const kind = kindOf(method);
  if (kind && !isObjectKind(kind)) return `bootwright has no ${kind} objects yet`;
  return undefined;
}

export const readmeStart =
  '<!-- cobbler-api-omitted:start (made by scripts/update-readme-cobbler-api.ts) -->';
export const readmeEnd = '<!-- cobbler-api-omitted:end -->';

/** The README section between the markers, for the methods `answered` does not include, one line per reason. */
export function omittedMethodsSection(answered: ReadonlySet<string>): string {
  const omitted = cobblerMethods.filter((method) => !answered.has(method.name));
  const byReason = new Map<string, string[]>();
  for (const method of omitted) {
    const reason = omissionReason(method.name) ?? 'NO REASON GIVEN';
    byReason.set(reason, [...(byReason.get(reason) ?? []), method.name]);
  }
  const lines = [
    readmeStart,
    `bootwright answers ${cobblerMethods.length - omitted.length} of the ${cobblerMethods.length} public methods of Cobbler 3.3's \`remote.py\` (v3.3.7). Left out, with why:`,
    '',
    ...[...byReason].map(
      ([reason, names]) => `- ${names.map((name) => `\`${name}\``).join(', ')}: ${reason}.`,
    ),
    readmeEnd,
  ];
  return lines.join('\n');
}

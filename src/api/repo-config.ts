// The yum repository stanzas of a profile's or system's repos, as Cobbler's /op/yum and XML-RPC
// get_repo_config_for_profile|system give them to installers' %post and koan's --update-config.

import type { AutoinstallTarget } from '../templates/install-urls.js';
import type { AutoinstallRenderer } from '../templates/render.js';

export async function repoConfigFor(
  renderer: AutoinstallRenderer,
  target: AutoinstallTarget,
): Promise<string> {
  const variables = await renderer.variables(target);
  const repos = (variables.repo_data ?? []) as Record<string, unknown>[];
  const base = `http://${String(variables.http_server)}`;
  const stanzas = repos.map((repo) => {
    const url =
      repo.mirror_locally === true ? `${base}/cobbler/repo_mirror/${String(repo.name)}` : String(repo.mirror);
    return `[${String(repo.name)}]\nname=${String(repo.name)}\nbaseurl=${url}\nenabled=1\npriority=${String(repo.priority ?? 99)}\ngpgcheck=0\n`;
  });
  return stanzas.join('\n');
}

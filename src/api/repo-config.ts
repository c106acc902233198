// A profile's or system's repos as installed systems take them: the yum stanzas of Cobbler's /op/yum and XML-RPC
// get_repo_config_for_profile|system (installers' %post and koan's --update-config), and their apt equivalent,
// /op/apt, sources.list lines for a preseed's late command. A repo goes in one of the two by its breed: an apt repo
// is no yum repo, and a yum repo no apt one. Each points at this server's mirror while mirror_locally is on, and at
// the origin otherwise.

import type { AutoinstallTarget } from '../templates/install-urls.js';
import type { AutoinstallRenderer } from '../templates/render.js';
import { aptSourceLines, isAptRepo, repoUrl } from '../templates/variables.js';

export async function repoConfigFor(
  renderer: AutoinstallRenderer,
  target: AutoinstallTarget,
): Promise<string> {
  const variables = await renderer.variables(target);
  const repos = ((variables.repo_data ?? []) as Record<string, unknown>[]).filter((repo) => !isAptRepo(repo));
  const stanzas = repos.map(
    (repo) =>
      `[${String(repo.name)}]\nname=${String(repo.name)}\nbaseurl=${repoUrl(variables, repo)}\nenabled=1\npriority=${String(repo.priority ?? 99)}\ngpgcheck=0\n`,
  );
  return stanzas.join('\n');
}

/** `/etc/apt/sources.list.d/` content for the target's apt repos: one `deb URL DIST COMPONENTS` line per dist. */
export async function aptSourcesFor(
  renderer: AutoinstallRenderer,
  target: AutoinstallTarget,
): Promise<string> {
  const variables = await renderer.variables(target);
  const lines = aptSourceLines(variables);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

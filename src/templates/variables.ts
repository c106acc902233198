// The variables a template sees (`dumpvars`): the blended view plus what Cobbler's templar adds on top
// (cobbler-koan.md §5): autoinstall_meta keys at the top level (`$tree`), kernel options as strings, and the
// breed-specific repository stanzas.

import type { BlendedView } from '../model/blend.js';
import type { KvDict } from '../model/kinds.js';
import { kvToString } from '../model/kv.js';
import { substituteAtAt } from '../model/rendered.js';
import { type AutoinstallTarget, autoinstallUrl, serverBase } from './install-urls.js';
import { buildKernelCommandLine } from './kernel-cmdline.js';

function repoUrl(view: BlendedView, repo: Record<string, unknown>): string {
  return repo.mirror_locally === true
    ? `${serverBase(view)}/cobbler/repo_mirror/${String(repo.name)}`
    : String(repo.mirror ?? '');
}

/** `repo --name=... --baseurl=...` lines for a Red Hat kickstart. */
function yumRepoStanza(view: BlendedView): string {
  const repos = (view.repo_data ?? []) as Record<string, unknown>[];
  return repos.map((repo) => `repo --name=${String(repo.name)} --baseurl=${repoUrl(view, repo)}`).join('\n');
}

/** Shell that drops the .repo file for this machine into place after installation. */
function yumConfigStanza(view: BlendedView, target: AutoinstallTarget): string {
  const url = `${serverBase(view)}/cblr/svc/op/yum/${target.kind}/${encodeURIComponent(target.name)}`;
  return `curl -s "${url}" --output /etc/yum.repos.d/cobbler-config.repo`;
}

export function templateVariables(view: BlendedView, target: AutoinstallTarget): Record<string, unknown> {
  const variables: Record<string, unknown> = { ...view };
  const meta: KvDict = {};
  for (const [key, value] of Object.entries((view.autoinstall_meta ?? {}) as KvDict)) {
    meta[key] = typeof value === 'string' ? substituteAtAt(value, view) : value;
  }
  // An imported distro's tree is served by bootwright itself when nothing else was said.
  if (meta.tree === undefined && view.tree_source && view.distro_name) {
    meta.tree = `${serverBase(view)}/cblr/links/${String(view.distro_name)}`;
  }
  Object.assign(variables, meta);
  variables.autoinstall_meta = meta;
  variables.ks_meta = meta;
  variables.kernel_options = kvToString((view.kernel_options ?? {}) as KvDict);
  variables.kernel_options_post = kvToString((view.kernel_options_post ?? {}) as KvDict);
  variables.install_kernel_options = buildKernelCommandLine(view, target).options;
  variables.autoinstall_url = autoinstallUrl(view, target);
  variables.obj_type = target.kind;
  if (!('interfaces' in variables)) variables.interfaces = {};
  if (!variables.hostname && target.kind === 'system') variables.hostname = '';
  const breed = String(view.breed ?? '');
  if (breed === 'redhat') {
    variables.yum_repo_stanza = yumRepoStanza(view);
    variables.yum_config_stanza = yumConfigStanza(view, target);
  }
  if ((breed === 'debian' || breed === 'ubuntu') && typeof meta.tree === 'string') {
    try {
      variables.install_source_directory = new URL(meta.tree).pathname;
    } catch {
      variables.install_source_directory = '';
    }
  }
  return variables;
}

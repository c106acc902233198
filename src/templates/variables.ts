// The variables a template sees (`dumpvars`): the blended view plus what Cobbler's templar adds on top
// (cobbler-koan.md §5): autoinstall_meta keys at the top level (`$tree`), kernel options as strings, and the
// breed-specific repository stanzas.

import type { BlendedView } from '../model/blend.js';
import type { KvDict } from '../model/kinds.js';
import { kvToString } from '../model/kv.js';
import { substituteAtAt } from '../model/rendered.js';
import { type AutoinstallTarget, autoinstallUrl, secretPathOf, serverBase } from './install-urls.js';
import { buildKernelCommandLine } from './kernel-cmdline.js';

/** Where installers and installed systems get a repo from: this server's mirror while mirror_locally is on. */
export function repoUrl(view: BlendedView, repo: Record<string, unknown>): string {
  return repo.mirror_locally === true
    ? `${serverBase(view)}/cobbler/repo_mirror/${String(repo.name)}`
    : String(repo.mirror ?? '');
}

/** An apt repo goes in a preseed and sources.list, never in a kickstart's yum stanzas; every other breed the reverse. */
export function isAptRepo(repo: Record<string, unknown>): boolean {
  return repo.breed === 'apt';
}

function listOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String).filter((item) => item !== '');
  return typeof value === 'string' ? value.split(/\s+/).filter((item) => item !== '') : [];
}

/** `deb URL DIST COMPONENTS`, one per dist of each apt repo: what sources.list and the preseed's apt-setup take. */
export function aptSourceLines(view: BlendedView): string[] {
  const repos = ((view.repo_data ?? []) as Record<string, unknown>[]).filter(isAptRepo);
  return repos.flatMap((repo) => {
    // What reposync mirrors when they are empty: debmirror's default dist (sid, as Cobbler 3.3 passes `--dist=`);
    // the components are the Release's, which this line cannot read, so `main` stands for them.
    const components = listOf(repo.apt_components).join(' ') || 'main';
    const dists = listOf(repo.apt_dists);
    return (dists.length > 0 ? dists : ['sid']).map(
      (dist) => `deb ${repoUrl(view, repo)} ${dist} ${components}`,
    );
  });
}

/** `repo --name=... --baseurl=...` lines for a Red Hat kickstart, for every repo but the apt ones. */
function yumRepoStanza(view: BlendedView): string {
  const repos = ((view.repo_data ?? []) as Record<string, unknown>[]).filter((repo) => !isAptRepo(repo));
  return repos.map((repo) => `repo --name=${String(repo.name)} --baseurl=${repoUrl(view, repo)}`).join('\n');
}

/** Shell that drops the .repo file for this machine into place after installation (yum_post_install_mirror). */
function yumConfigStanza(view: BlendedView, target: AutoinstallTarget): string {
  if (view.yum_post_install_mirror === false) return '';
  const url = `${serverBase(view)}/cblr/svc/op/yum/${target.kind}/${encodeURIComponent(target.name)}`;
  return `curl -s "${url}" --output /etc/yum.repos.d/cobbler-config.repo`;
}

/**
 * Adds the template variables to a blended view and returns it. The view must be the caller's own (a fresh one from
 * blend): copying its hundred and more keys would cost more than all the rest. Everything derived is computed from
 * the view as blended before any of it is written, so that autoinstall_meta keys such as `breed` or `autoinstall`
 * become variables without changing what the kernel options, URLs and repo stanzas are built from.
 */
export function templateVariables(view: BlendedView, target: AutoinstallTarget): Record<string, unknown> {
  const meta: KvDict = {};
  for (const [key, value] of Object.entries((view.autoinstall_meta ?? {}) as KvDict)) {
    meta[key] = typeof value === 'string' ? substituteAtAt(value, view) : value;
  }
  // An imported distro's tree is served by bootwright itself when nothing else was said.
  if (meta.tree === undefined && view.tree_source && view.distro_name) {
    meta.tree = `${serverBase(view)}/cblr/links/${String(view.distro_name)}`;
  }
  const breed = String(view.breed ?? '');
  const derived: Record<string, unknown> = {
    autoinstall_meta: meta,
    ks_meta: meta,
    kernel_options: kvToString((view.kernel_options ?? {}) as KvDict),
    kernel_options_post: kvToString((view.kernel_options_post ?? {}) as KvDict),
    install_kernel_options: buildKernelCommandLine(view, target).options,
    autoinstall_url: autoinstallUrl(view, target),
    // For the installer's own calls back (trig, nopxe, log upload): '' while autoinstall_secrets is off.
    autoinstall_secret_path: secretPathOf(view),
    obj_type: target.kind,
  };
  if (breed === 'redhat') {
    derived.yum_repo_stanza = yumRepoStanza(view);
    derived.yum_config_stanza = yumConfigStanza(view, target);
  }
  if (breed === 'debian' || breed === 'ubuntu') {
    // `URL DIST COMPONENTS` of each apt repo, for the preseed's apt-setup/local<N>/repository lines.
    derived.apt_repo_sources = aptSourceLines(view).map((line) => line.slice('deb '.length));
  }
  const variables: Record<string, unknown> = view;
  Object.assign(variables, meta);
  Object.assign(variables, derived);
  if (!('interfaces' in variables)) variables.interfaces = {};
  if (!variables.hostname && target.kind === 'system') variables.hostname = '';
  if ((breed === 'debian' || breed === 'ubuntu') && typeof meta.tree === 'string') {
    try {
      variables.install_source_directory = new URL(meta.tree).pathname;
    } catch {
      variables.install_source_directory = '';
    }
  }
  return variables;
}

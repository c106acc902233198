// Which built-in template a distro's installs start with when nothing in their chain names one: one rule for a
// profile made by `import` and for one added by hand, so that a RHEL 5 distro gets legacy.ks either way (RHEL 7+
// syntax in default.ks stops Anaconda 11 at its first unknown line).

/** RHEL and CentOS up to 6 and Fedora up to 16 run the older Anaconda: `ks=` on the command line, legacy.ks. */
export function usesLegacyKs(osVersion: string): boolean {
  const match = /^(rhel|centos|fedora)(\d+)/.exec(osVersion);
  if (!match) return false;
  const release = Number(match[2]);
  return match[1] === 'fedora' ? release <= 16 : release <= 6;
}

export interface InstallerOf {
  breed: string;
  osVersion: string;
  /** The installer a tree boots, when import read it from the tree (Ubuntu's subiquity or debian-installer). */
  installer?: string;
}

export function defaultAutoinstallFor({ breed, osVersion, installer }: InstallerOf): string {
  switch (breed) {
    case 'redhat':
      return usesLegacyKs(osVersion) ? 'legacy.ks' : 'default.ks';
    case 'ubuntu':
      return installer === 'subiquity' ? 'ubuntu-autoinstall.yaml' : 'default.seed';
    case 'debian':
      return 'default.seed';
    case 'suse':
      return 'autoyast.xml';
    default:
      return 'default.ks';
  }
}

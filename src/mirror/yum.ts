// dnf/yum repositories (breed 'yum'): repodata/repomd.xml, the metadata it names, and the packages primary lists.

import { BootwrightError } from '../errors.js';
import type { RepoBreed } from './contract.js';

export const yumBreed: RepoBreed = {
  async sync() {
    throw new BootwrightError('E_UNAVAILABLE', 'Mirroring yum repositories is not built yet.');
  },
};

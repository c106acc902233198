// The sync engine: snapshots of hard links into a content-addressed object store, switched atomically.

import { BootwrightError, quote } from '../errors.js';
import type {
  MirroredRepo,
  MirrorStatus,
  RepoBreed,
  RepoMirrors,
  ReposyncOptions,
  SyncResult,
} from './contract.js';
import { yumBreed } from './yum.js';

export function openRepoMirrors(
  dataDir: string,
  breeds: Partial<Record<MirroredRepo['breed'], RepoBreed>> = {},
): RepoMirrors {
  const allBreeds: Partial<Record<MirroredRepo['breed'], RepoBreed>> = { yum: yumBreed, ...breeds };
  void dataDir;
  return {
    async sync(repo: MirroredRepo, _options?: ReposyncOptions): Promise<SyncResult> {
      if (!allBreeds[repo.breed])
        throw new BootwrightError(
          'E_INVALID',
          `Repo ${quote(repo.name)}: breed ${quote(repo.breed)} is not supported yet.`,
        );
      throw new BootwrightError('E_UNAVAILABLE', 'reposync is not built yet.');
    },
    async status(_name: string): Promise<MirrorStatus> {
      return {};
    },
    currentDir(_name: string): string | undefined {
      return undefined;
    },
    async remove(_name: string): Promise<number> {
      return 0;
    },
  };
}

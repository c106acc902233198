// The kinds of repository beyond yum that the engine (openRepoMirrors) looks up by the repo's breed.

import { aptBreed } from './apt.js';
import type { RepoBreed } from './contract.js';
import { wgetBreed } from './wget.js';

export const extraBreeds: Partial<Record<string, RepoBreed>> = { apt: aptBreed, wget: wgetBreed };

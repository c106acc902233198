// The served_roots setting for test stores. Tests keep their kernels, trees and TFTP roots in temporary directories
// (and the guest kernel in the test cache), which the default served_roots rightly leaves out: a test store that
// serves them adds these roots through this helper, never by widening the default.

import { tmpdir } from 'node:os';
import { defaultServedRoots } from '../../src/config/served-paths.js';
import type { InventoryBackend } from '../../src/inventory/backend.js';
import { testCacheDir } from '../../src/lab/guest-kernel.js';

/** The default roots, the directory every tempDir() is made in, and the test guest's package cache. */
export const testServedRoots: readonly string[] = [...defaultServedRoots, tmpdir(), testCacheDir()];

/** The CLI command (for configureStore or runCli) that lets a test store serve from the test roots. */
export const serveTestRootsCommand: readonly string[] = [
  'setting',
  'edit',
  '--name=served_roots',
  `--value=${testServedRoots.join(' ')}`,
];

/** The same through an inventory: the local one, or a server's over REST. */
export async function serveTestRoots(inventory: Pick<InventoryBackend, 'setSetting'>): Promise<void> {
  await inventory.setSetting('served_roots', [...testServedRoots]);
}

// What the engine gives a breed beyond the contract's SyncSession: the directory of the snapshot being built, for a
// tool that works on a tree in place (createrepo_c regenerating metadata for a narrowed package set).

import type { SyncSession } from './contract.js';

export interface SnapshotSession extends SyncSession {
  /** The snapshot's directory while it is built; it becomes the served directory at the switch. */
  readonly treeDir: string;
  /**
   * Takes in what a tool changed under treeDir: files it wrote are stored by content like every fetched file, and
   * files it removed leave the snapshot.
   */
  adoptChanges(): Promise<void>;
}

export function isSnapshotSession(session: SyncSession): session is SnapshotSession {
  return typeof (session as Partial<SnapshotSession>).adoptChanges === 'function';
}

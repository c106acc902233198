// What the inventory tells the rest of the server about a change, before and after it is written: the seam that
// Cobbler's add/delete/change triggers (cobbler-koan.md §6.4) hang on, without the inventory knowing about them.

import type { ObjectKind } from '../model/kinds.js';

export type ChangeAction = 'add' | 'edit' | 'copy' | 'rename' | 'remove';

export interface ObjectChange {
  action: ChangeAction;
  kind: ObjectKind;
  /** The object's name once changed: the copy's name for a copy, the new name for a rename. */
  name: string;
  /** The object copied from (copy) or the old name (rename). */
  from?: string;
}

export interface InventoryHooks {
  /**
   * Runs inside the change's transaction, once the change has passed every check: throwing rolls the change
   * back, so that nothing of it is written.
   */
  beforeChange(change: ObjectChange): Promise<void>;
  /** Runs once the change is committed. It should not throw; what it throws is reported, never passed on. */
  afterChange(change: ObjectChange): Promise<void>;
}

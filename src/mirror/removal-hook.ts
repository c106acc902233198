// A removed repo's mirror goes with it: once the removal has committed (so a refused or rolled-back removal keeps
// its mirror), its snapshots are deleted and the space no other repo shares is freed.

import type { InventoryHooks, ObjectChange } from '../inventory/hooks.js';
import type { EventInput } from '../store/store.js';
import type { RepoMirrors } from './contract.js';

export function mirrorRemovalHook(
  mirrors: Pick<RepoMirrors, 'remove'>,
  publish: (event: EventInput) => void,
): InventoryHooks {
  return {
    beforeChange: async () => {},
    async afterChange(change: ObjectChange) {
      if (change.kind !== 'repo' || change.action !== 'remove') return;
      const bytes = await mirrors.remove(change.name);
      if (bytes > 0) publish({ type: 'mirror.removed', detail: { repo: change.name, bytes } });
    },
  };
}

/** Several hooks as one, each told of every change in turn: the first refusal before a change stops it. */
export function allHooks(hooks: readonly (InventoryHooks | undefined)[]): InventoryHooks | undefined {
  const present = hooks.filter((hook): hook is InventoryHooks => hook !== undefined);
  if (present.length <= 1) return present[0];
  return {
    async beforeChange(change) {
      for (const hook of present) await hook.beforeChange(change);
    },
    async afterChange(change) {
      for (const hook of present) {
        try {
          await hook.afterChange(change);
        } catch (error) {
          // Each after-hook is told, whatever another one threw; the inventory reports what reaches it.
          console.error(
            `bootwright: after ${change.action} of ${change.kind} "${change.name}": ${(error as Error).message}`,
          );
        }
      }
    },
  };
}

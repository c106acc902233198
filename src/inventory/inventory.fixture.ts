// What the inventory's tests share: an inventory on a SQLite file of its own, with distro rhel9 and profile web on
// it, and a check that a promise fails with a given error code and message.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { type BootFilePaths, sharedBootFiles } from '../../test/support/boot-files.js';
import { serveTestRoots } from '../../test/support/served-roots.js';
import { BootwrightError, type ErrorCode } from '../errors.js';
import { openStore } from '../store/open-store.js';
import { Inventory } from './inventory.js';

let dir: string | undefined;
let counter = 0;

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A path for a new store file, in a directory removed once the test file's tests are done. */
export function freshPath(): string {
  dir ??= mkdtempSync(join(tmpdir(), 'bootwright-inventory-'));
  counter += 1;
  return join(dir, `inventory-${counter}.db`);
}

/** Distro rhel9's kernel and initrd, files that are there (a missing one is refused at add). */
export function rhel9Files(): BootFilePaths {
  return sharedBootFiles();
}

/** An inventory on its own SQLite file, with distro rhel9 and profile web on it. */
export async function withInventory(
  work: (inventory: Inventory) => Promise<void>,
  path = freshPath(),
): Promise<void> {
  const store = openStore(`sqlite:${path}`);
  const inventory = new Inventory(store);
  try {
    if (!(await store.get('distro', 'rhel9'))) {
      await serveTestRoots(inventory);
      await inventory.add('distro', {
        name: 'rhel9',
        kernel: rhel9Files().kernel,
        initrd: rhel9Files().initrd,
        os_version: 'rhel9',
      });
      await inventory.add('profile', { name: 'web', distro: 'rhel9' });
    }
    await work(inventory);
  } finally {
    await store.close();
  }
}

export async function assertFails(
  promise: Promise<unknown>,
  code: ErrorCode,
  message: RegExp,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof BootwrightError, `expected a BootwrightError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

export function iface(
  object: { interfaces?: Record<string, unknown> },
  name: string,
): Record<string, unknown> {
  const found = object.interfaces?.[name];
  assert.ok(found, `interface ${name} exists`);
  return found as Record<string, unknown>;
}

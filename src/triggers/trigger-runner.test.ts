import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { sharedBootFiles } from '../../test/support/boot-files.js';
import { serveTestRoots } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { BootwrightError } from '../errors.js';
import type { InventoryHooks } from '../inventory/hooks.js';
import { Inventory } from '../inventory/inventory.js';
import { openStore } from '../store/open-store.js';
import type { EventInput, Store } from '../store/store.js';
import { TriggerRunner, type TriggerRunnerOptions } from './trigger-runner.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

interface Setup {
  dir: string;
  triggers: string;
  runner: TriggerRunner;
  inventory: Inventory;
  store: Store;
  events: EventInput[];
  /** Lines the recording triggers wrote: `<dir> <args...>`. */
  recorded: () => string[];
}

function writeTrigger(triggers: string, dir: string, name: string, body: string, mode = 0o755): void {
  mkdirSync(join(triggers, dir), { recursive: true });
  const path = join(triggers, dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, mode);
}

/** A trigger that appends its directory and arguments to record.txt. */
function recordingTrigger(setup: Pick<Setup, 'triggers' | 'dir'>, dir: string, name = '50-record'): void {
  writeTrigger(setup.triggers, dir, name, `echo "${dir} $*" >> "${join(setup.dir, 'record.txt')}"`);
}

async function setup(
  t: TestContext,
  options: Partial<TriggerRunnerOptions> = {},
  wrap?: (runner: TriggerRunner, store: Store) => InventoryHooks,
): Promise<Setup> {
  const dir = tempDir(t);
  const triggers = join(dir, 'triggers');
  const events: EventInput[] = [];
  const runner = new TriggerRunner({
    dir: triggers,
    env: { PATH: process.env.PATH ?? '', BOOTWRIGHT_DATA_DIR: dir },
    events: { publish: (event) => events.push(event) },
    ...options,
  });
  t.after(() => runner.close());
  const store = openStore(`sqlite:${join(dir, 'store.sqlite')}`);
  t.after(() => store.close());
  const inventory = new Inventory(store, wrap ? wrap(runner, store) : runner);
  await serveTestRoots(inventory);
  await inventory.add('distro', { name: 'rhel9', kernel: bootFiles.kernel, initrd: bootFiles.initrd });
  await inventory.add('profile', { name: 'web', distro: 'rhel9' });
  const recorded = () => {
    try {
      return readFileSync(join(dir, 'record.txt'), 'utf8').trimEnd().split('\n');
    } catch {
      return [];
    }
  };
  events.length = 0;
  return { dir, triggers, runner, inventory, store, events, recorded };
}

/** Whether a process runs; a killed one may linger as a zombie until whoever adopted it reaps it. */
async function running(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return false;
    }
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

function runsOf(events: EventInput[]): Record<string, unknown>[] {
  return events.filter((event) => event.type === 'trigger.run').map((event) => event.detail ?? {});
}

describe('trigger runner', () => {
  it('runs the executables of a directory in name order, skipping the rest', async (t) => {
    const { runner, triggers } = await setup(t);
    writeTrigger(triggers, 'change', 'b-second', 'true');
    writeTrigger(triggers, 'change', '10-first', 'true');
    writeTrigger(triggers, 'change', 'a-third', 'true');
    writeTrigger(triggers, 'change', '.hidden', 'true');
    writeTrigger(triggers, 'change', 'c-not-executable', 'true', 0o644);
    writeTrigger(triggers, 'change', 'd-edited.rpmnew', 'true');
    writeTrigger(triggers, 'change', 'e-old.rpmsave', 'true');
    mkdirSync(join(triggers, 'change', 'f-directory'));
    assert.deepEqual(await runner.scripts('change'), ['10-first', 'a-third', 'b-second']);
    assert.deepEqual(await runner.scripts('add/system/pre'), []);
  });

  it('runs add triggers with the name, reporting each run with its status and output', async (t) => {
    const s = await setup(t);
    recordingTrigger(s, 'add/system/pre');
    recordingTrigger(s, 'add/system/post');
    writeTrigger(
      s.triggers,
      'add/system/post',
      '60-env',
      'echo "$BOOTWRIGHT_ACTION $BOOTWRIGHT_OBJECT_TYPE $BOOTWRIGHT_OBJECT_NAME $BOOTWRIGHT_TRIGGER"; echo oops >&2',
    );
    await s.inventory.add('system', { name: 'vm9', profile: 'web' });
    assert.deepEqual(s.recorded(), ['add/system/pre vm9', 'add/system/post vm9']);
    const runs = runsOf(s.events);
    assert.deepEqual(
      runs.map((run) => `${String(run.dir)}/${String(run.script)}`),
      ['add/system/pre/50-record', 'add/system/post/50-record', 'add/system/post/60-env'],
    );
    const env = runs[2] as Record<string, unknown>;
    assert.equal(env.status, 0);
    assert.equal(env.timedOut, false);
    assert.deepEqual(env.args, ['vm9']);
    assert.equal(env.output, 'add system vm9 add/system/post\noops\n');
    assert.equal(typeof env.durationMs, 'number');
    assert.ok(s.events.every((event) => event.system === 'vm9'));
  });

  it('refuses an add when a pre trigger fails, writing nothing and naming the script and its status', async (t) => {
    const s = await setup(t);
    recordingTrigger(s, 'add/system/pre', '05-record');
    writeTrigger(
      s.triggers,
      'add/system/pre',
      '10-check',
      'echo "no rack space for $1"; echo detail; exit 3',
    );
    recordingTrigger(s, 'add/system/pre', '20-after');
    recordingTrigger(s, 'add/system/post');
    recordingTrigger(s, 'change');
    await assert.rejects(s.inventory.add('system', { name: 'vm9', profile: 'web' }), (error: unknown) => {
      assert.ok(error instanceof BootwrightError);
      assert.equal(error.code, 'E_FORBIDDEN');
      assert.equal(
        error.message,
        'Trigger add/system/pre/10-check refused to add system "vm9" (exit 3): no rack space for vm9',
      );
      return true;
    });
    assert.equal(await s.store.get('system', 'vm9'), undefined);
    assert.equal(await s.store.count('system'), 0);
    // The scripts after the failing one, and every post trigger, did not run.
    assert.deepEqual(s.recorded(), ['add/system/pre vm9']);
    const failed = runsOf(s.events).find((run) => run.script === '10-check');
    assert.equal(failed?.status, 3);
    assert.equal(failed?.output, 'no rack space for vm9\ndetail\n');
  });

  it('kills a hung trigger and everything it started once the timeout passes', async (t) => {
    const s = await setup(t, { timeoutMs: 500 });
    const pidFile = join(s.dir, 'sleeper.pid');
    writeTrigger(
      s.triggers,
      'add/system/pre',
      '10-hang',
      `sleep 60 & echo $! > "${pidFile}"\necho waiting\nsleep 60`,
    );
    const started = Date.now();
    await assert.rejects(
      s.inventory.add('system', { name: 'vm9', profile: 'web' }),
      /^BootwrightError: Trigger add\/system\/pre\/10-hang refused to add system "vm9" \(killed after 0\.5 s without finishing\): waiting$/,
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3000, `took ${elapsed} ms`);
    assert.equal(await s.store.get('system', 'vm9'), undefined);
    const run = runsOf(s.events)[0];
    assert.equal(run?.timedOut, true);
    assert.equal(run?.status, null);
    assert.equal(run?.signal, 'SIGKILL');
    // The trigger's own background child went with it.
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    assert.equal(await running(sleeper), false, `process ${sleeper} still runs`);
  });

  it('runs post triggers after the commit and reports their failures without failing the change', async (t) => {
    const seen: string[] = [];
    const s = await setup(t, {}, (runner, store) => ({
      // The store's reader is its own connection: it sees only what is committed.
      beforeChange: async (change) => {
        seen.push(`before: committed=${(await store.get(change.kind, change.name)) !== undefined}`);
        await runner.beforeChange(change);
      },
      afterChange: async (change) => {
        seen.push(`after: committed=${(await store.get(change.kind, change.name)) !== undefined}`);
        await runner.afterChange(change);
      },
    }));
    seen.length = 0;
    writeTrigger(s.triggers, 'add/system/post', '10-fails', 'echo broken; exit 1');
    recordingTrigger(s, 'add/system/post', '20-record');
    const added = await s.inventory.add('system', { name: 'vm9', profile: 'web' });
    assert.equal(added.name, 'vm9');
    assert.deepEqual(seen, ['before: committed=false', 'after: committed=true']);
    assert.ok(await s.store.get('system', 'vm9'));
    assert.deepEqual(s.recorded(), ['add/system/post vm9']);
    assert.deepEqual(
      runsOf(s.events).map((run) => [run.script, run.status, run.output]),
      [
        ['10-fails', 1, 'broken\n'],
        ['20-record', 0, ''],
      ],
    );
  });

  it('runs change triggers after edits, copies, renames and removals, recursive ones object by object', async (t) => {
    const s = await setup(t);
    writeTrigger(
      s.triggers,
      'change',
      '50-record',
      `echo "change $* $BOOTWRIGHT_ACTION $BOOTWRIGHT_OBJECT_TYPE" >> "${join(s.dir, 'record.txt')}"`,
    );
    recordingTrigger(s, 'add/system/pre');
    recordingTrigger(s, 'delete/system/pre');
    recordingTrigger(s, 'delete/system/post');
    recordingTrigger(s, 'delete/profile/post');
    await s.inventory.add('system', { name: 'vm9', profile: 'web' });
    await s.inventory.edit('system', 'vm9', { comment: 'rack 4' });
    await s.inventory.copy('system', 'vm9', 'vm10');
    await s.inventory.rename('system', 'vm10', 'vm11');
    await s.inventory.remove('profile', 'web', { recursive: true });
    assert.deepEqual(s.recorded(), [
      'add/system/pre vm9',
      'change vm9 add system',
      'add/system/pre vm9',
      'change vm9 edit system',
      'add/system/pre vm10',
      'change vm10 copy system',
      'add/system/pre vm11',
      'delete/system/pre vm10',
      'delete/system/post vm10',
      'change vm11 rename system',
      'delete/system/pre vm11',
      'delete/system/pre vm9',
      'delete/system/post vm11',
      'change vm11 remove system',
      'delete/system/post vm9',
      'change vm9 remove system',
      'delete/profile/post web',
      'change web remove profile',
    ]);
  });

  it('stops a recursive removal when a delete pre trigger refuses one of the objects', async (t) => {
    const s = await setup(t);
    await s.inventory.add('system', { name: 'vm9', profile: 'web' });
    writeTrigger(s.triggers, 'delete/system/pre', '10-keep', 'exit 1');
    await assert.rejects(
      s.inventory.remove('profile', 'web', { recursive: true }),
      /Trigger delete\/system\/pre\/10-keep refused to remove system "vm9" \(exit 1\)\.$/,
    );
    assert.ok(await s.store.get('system', 'vm9'));
    assert.ok(await s.store.get('profile', 'web'));
  });

  it('turns netboot off without triggers when nopxe_with_triggers is off, and runs none for a repeat', async (t) => {
    const s = await setup(t);
    await s.inventory.add('system', { name: 'vm9', profile: 'web' });
    await s.inventory.add('system', { name: 'vm10', profile: 'web' });
    recordingTrigger(s, 'change');
    await s.inventory.setSetting('nopxe_with_triggers', false);
    assert.equal(await s.inventory.finishNetboot('vm9'), true);
    assert.deepEqual(s.recorded(), []);
    await s.inventory.setSetting('nopxe_with_triggers', true);
    await s.inventory.finishNetboot('vm10');
    assert.deepEqual(s.recorded(), ['change vm10']);
    // Netboot is already off: a repeated call changes nothing and runs nothing.
    assert.equal(await s.inventory.finishNetboot('vm10'), true);
    assert.deepEqual(s.recorded(), ['change vm10']);
  });

  it('keeps the first bytes of a long output and runs install triggers with type, name and address', async (t) => {
    const s = await setup(t, { maxOutputBytes: 1000 });
    writeTrigger(
      s.triggers,
      'install/post',
      '10-chatty',
      'i=0; while [ $i -lt 500 ]; do echo "line $i"; i=$((i+1)); done',
    );
    recordingTrigger(s, 'install/post');
    s.runner.startInstallTriggers('post', { kind: 'system', name: 'vm9' }, '192.0.2.9');
    await s.runner.idle();
    assert.deepEqual(s.recorded(), ['install/post system vm9 192.0.2.9']);
    const [chatty] = runsOf(s.events);
    const output = String(chatty?.output ?? '');
    assert.equal(output.length, 1000);
    assert.ok(output.startsWith('line 0\nline 1\n'));
    assert.equal(chatty?.outputTruncated, true);
    assert.equal(chatty?.status, 0);
    assert.deepEqual(
      s.events.map((event) => [event.system, event.ip]),
      [
        ['vm9', '192.0.2.9'],
        ['vm9', '192.0.2.9'],
      ],
    );
  });
});

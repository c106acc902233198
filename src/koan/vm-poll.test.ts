// --vm-poll's reading of libvirt states (cobbler-koan.md §7.3), driven through a stand-in virsh: a power-off
// finishes the install, a crash fails it, libvirt going away is an error that says how to carry on by hand.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BootwrightError } from '../errors.js';
import { Libvirt } from './libvirt.js';
import type { RunCommand } from './run-command.js';
import { waitForInstall } from './vm-poll.js';

/** A virsh that answers `domstate --reason` with the given lines in turn, then keeps giving the last one. */
function scriptedVirsh(states: (string | Error)[]): { run: RunCommand; asked: () => number } {
  let asked = 0;
  return {
    run: async (_command, args) => {
      assert.deepEqual(args.slice(0, 3), ['-c', 'qemu:///system', 'domstate']);
      const answer = states[Math.min(asked++, states.length - 1)] as string | Error;
      if (answer instanceof Error) throw answer;
      return `${answer}\n\n`;
    },
    asked: () => asked,
  };
}

describe('koan --vm-poll', () => {
  it('waits while the installer runs and sees the power-off as the end of the install', async () => {
    const virsh = scriptedVirsh([
      'running (booted)',
      'running (booted)',
      'paused (user)',
      'shut off (shutdown)',
    ]);
    const said: string[] = [];
    let clock = 0;
    const ending = await waitForInstall(new Libvirt('qemu:///system', virsh.run), 'vm9', {
      intervalMs: 1,
      say: (line) => said.push(line),
      now: () => (clock += 30_000),
    });
    assert.equal(ending, 'finished');
    assert.equal(virsh.asked(), 4);
    assert.ok(
      said.some((line) => /install in vm9 is still (running|paused) \(\d+m \d+s\)/.test(line)),
      said.join('\n'),
    );
  });

  it('reports a crash, whether libvirt keeps the domain crashed or destroys it', async () => {
    for (const state of ['shut off (crashed)', 'crashed (panicked)']) {
      const virsh = scriptedVirsh([state]);
      assert.equal(
        await waitForInstall(new Libvirt('qemu:///system', virsh.run), 'vm9', {
          intervalMs: 1,
          say: () => {},
        }),
        'crashed',
      );
    }
  });

  it('says how to carry on by hand when libvirt goes away, and gives up after its timeout', async () => {
    const gone = scriptedVirsh([
      'running (booted)',
      new BootwrightError('E_UNAVAILABLE', 'virsh domstate failed: Cannot recv data'),
    ]);
    await assert.rejects(
      waitForInstall(new Libvirt('qemu:///system', gone.run), 'vm9', { intervalMs: 1, say: () => {} }),
      /Lost track of "vm9" while the install ran \(virsh domstate failed: Cannot recv data\); when libvirt is back, "virsh -c qemu:\/\/\/system domstate vm9" tells whether it finished/,
    );
    let clock = 0;
    await assert.rejects(
      waitForInstall(new Libvirt('qemu:///system', scriptedVirsh(['running (booted)']).run), 'vm9', {
        intervalMs: 1,
        say: () => {},
        timeoutMs: 60_000,
        now: () => (clock += 50_000),
      }),
      /The install in "vm9" is still running after \dm \d+s; look at its console/,
    );
  });
});

// bootwright's IPMI driver (ipmitool -I lanplus) against a BMC it did not write: OpenIPMI's ipmi_sim, whose chassis
// control program here keeps the power state and boot device in files. The driver powers the "machine" on and off,
// reads the state back, sets a one-time network boot, and fails in one sentence on a wrong password or a BMC that
// does not answer, never echoing the password. (test/interop/power-bmc.test.ts drives a real libvirt domain
// through pyghmi's virshbmc with the same driver.)

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PowerTarget } from '../../src/power/contract.js';
import { ipmiDriver } from '../../src/power/ipmi.js';
import { freeUdpPort } from '../support/free-port.js';
import { tempDir } from '../support/temp-dir.js';

const PASSWORD = 'sim-pass';
const missing = ['/usr/bin/ipmi_sim', '/usr/bin/ipmitool'].filter((path) => !existsSync(path));

async function startSimulator(t: TestContext, dir: string, port: number): Promise<ChildProcess> {
  // ipmi_sim's chassis control program: "get power boot" prints "power:N" lines, "set power 1" changes them.
  const control = join(dir, 'chassis-control');
  writeFileSync(
    control,
    `#!/bin/sh
op=$1; shift
case "$op" in
  check) exit 0;;
  get) for p in "$@"; do echo "$p:$(cat '${dir}'/$p 2>/dev/null || echo 0)"; done;;
  set) while [ $# -gt 1 ]; do echo "$2" > '${dir}'/$1; shift 2; done;;
esac
`,
  );
  chmodSync(control, 0o755);
  writeFileSync(
    join(dir, 'lan.conf'),
    `name "bootwright-test"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 ${port}
    priv_limit admin
    allowed_auths_callback none md5 straight
    allowed_auths_user none md5 straight
    allowed_auths_operator none md5 straight
    allowed_auths_admin none md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  chassis_control "${control}"
  user 2 true "admin" "${PASSWORD}" admin 10 none md5 straight
`,
  );
  writeFileSync(
    join(dir, 'bmc.emu'),
    'mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nmc_enable 0x20\n',
  );
  const child = spawn('/usr/bin/ipmi_sim', ['-c', 'lan.conf', '-f', 'bmc.emu', '-s', dir, '-n'], {
    cwd: dir,
    stdio: 'ignore',
  });
  t.after(() => {
    child.kill('SIGTERM');
  });
  await sleep(500);
  assert.equal(child.exitCode, null, 'ipmi_sim started');
  return child;
}

describe('the IPMI power driver against OpenIPMI ipmi_sim', () => {
  it('powers on and off, reads the state, sets a network boot once, and names a wrong password', {
    timeout: 120_000,
  }, async (t: TestContext) => {
    assert.deepEqual(missing, [], 'apt-get install openipmi ipmitool');
    const dir = tempDir(t, 'bootwright-ipmi-');
    const port = await freeUdpPort();
    await startSimulator(t, dir, port);
    const target: PowerTarget = {
      system: 'rack7',
      type: 'ipmilanplus',
      address: `127.0.0.1:${port}`,
      user: 'admin',
      password: PASSWORD,
      id: '',
      options: {},
      identityFile: '',
    };
    const signal = () => AbortSignal.timeout(30_000);
    assert.equal((await ipmiDriver.run('status', target, signal())).state, 'off');
    await ipmiDriver.run('on', target, signal());
    assert.equal(readFileSync(join(dir, 'power'), 'utf8').trim(), '1', 'the BMC was told to power on');
    assert.equal((await ipmiDriver.run('status', target, signal())).state, 'on');
    await ipmiDriver.setNextBoot?.('pxe', target, signal());
    assert.equal(readFileSync(join(dir, 'boot'), 'utf8').trim(), 'pxe');
    await ipmiDriver.run('off', target, signal());
    assert.equal((await ipmiDriver.run('status', target, signal())).state, 'off');

    await assert.rejects(
      ipmiDriver.run('status', { ...target, password: 'wrong-one' }, signal()),
      (error: Error) => {
        assert.equal(
          error.message,
          `System rack7: the IPMI BMC at 127.0.0.1:${port} refused user "admin" and its password; check --power-user and --power-pass.`,
        );
        return true;
      },
    );
    const silent = await freeUdpPort();
    const started = Date.now();
    await assert.rejects(
      ipmiDriver.run('status', { ...target, address: `127.0.0.1:${silent}` }, signal()),
      new RegExp(
        `^BootwrightError: System rack7: the IPMI BMC at 127\\.0\\.0\\.1:${silent} does not answer; check --power-address and the network\\.$`,
      ),
    );
    assert.ok(Date.now() - started < 30_000, 'within the action deadline');
  });
});

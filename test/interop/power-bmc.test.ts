// `bootwright bmc` against two Redfish clients it did not write: Debian's fence_redfish (fence-agents, the agent
// Cobbler's power management calls) and python3-sushy (OpenStack Ironic's Redfish library). Each powers a real
// libvirt domain (a private libvirtd) on and off through the BMC, and `virsh domstate` must agree every time. The
// boot override is checked the same way: sushy asks for a network boot once, and the domain that starts boots its
// network interface first while its stored definition still boots the disk. bootwright's own drivers run against the
// same domains: Redfish (and fence_redfish as a fence agent) through bootwright bmc, and IPMI through a BMC it did
// not write, pyghmi's virshbmc.

import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { libvirtUnavailable, startTestLibvirtd, type TestLibvirtd } from '../../src/lab/libvirtd.js';
import type { PowerTarget } from '../../src/power/contract.js';
import { fenceAgentDriver } from '../../src/power/fence-agent.js';
import { ipmiDriver } from '../../src/power/ipmi.js';
import { redfishDriver } from '../../src/power/redfish.js';
import { runMain } from '../support/cli.js';
import { freeUdpPort } from '../support/free-port.js';
import { createTapNamespace } from '../support/tap-netns.js';
import { tempDir } from '../support/temp-dir.js';

const root = join(import.meta.dirname, '..', '..');
const DOMAIN = 'bmc-vm1';
const OTHER = 'bmc-vm2';
const PASSWORD = 'bmc pass: with spaces';

function domainXml(name: string, bridge: string): string {
  // No disk: SeaBIOS finds nothing to boot and waits, which is "running" all the same. ACPI, so that a graceful
  // shutdown could reach it.
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features><acpi/></features>
  <devices>
    <interface type='bridge'>
      <source bridge='${bridge}'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'/>
  </devices>
</domain>
`;
}

interface Bmc {
  url: string;
  /** The BMC's self-signed certificate, which sushy is told to trust. */
  certificate: string;
  port: number;
  child: ChildProcess;
  output: () => string;
}

async function startBmc(t: TestContext, dataDir: string): Promise<Bmc> {
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', join(root, 'src', 'cli', 'run.ts')],
      ...['bmc', `--data-dir=${dataDir}`, '--listen=127.0.0.1', '--port=0', `--domains=bmc-*`],
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  t.after(() => {
    child.kill('SIGTERM');
  });
  for (let waited = 0; waited < 30_000; waited += 100) {
    const started = /serving Redfish on https port (\d+) \(certificate (.*)\)/.exec(output);
    if (started) {
      const [, port, certificate] = started as unknown as [string, string, string];
      return {
        url: `https://127.0.0.1:${port}`,
        port: Number(port),
        certificate,
        child,
        output: () => output,
      };
    }
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`bootwright bmc did not start:\n${output}`);
}

/** fence_redfish with its options on stdin, as fence agents take them from a cluster manager (and from us). */
function fenceRedfish(bmc: Bmc, action: string, password = PASSWORD): { code: number; stdout: string } {
  const input = [
    `action=${action}`,
    'ip=127.0.0.1',
    `ipport=${bmc.port}`,
    'username=admin',
    `password=${password}`,
    'ssl_insecure=1',
    `systems_uri=/redfish/v1/Systems/${DOMAIN}`,
    '',
  ].join('\n');
  try {
    const stdout = execFileSync('/usr/sbin/fence_redfish', [], {
      input,
      encoding: 'utf8',
      stdio: 'pipe',
      timeout: 60_000,
    });
    return { code: 0, stdout };
  } catch (error) {
    const failure = error as { status?: number; stdout?: string; stderr?: string };
    return { code: failure.status ?? -1, stdout: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

const sushyScript = `
import json, sys, urllib3
import sushy
urllib3.disable_warnings()
url, user, password, system, action, certificate = sys.argv[1:7]
root = sushy.Sushy(url, username=user, password=password, verify=certificate)
node = root.get_system('/redfish/v1/Systems/' + system)
if action == 'on':
    node.reset_system(sushy.RESET_ON)
elif action == 'off':
    node.reset_system(sushy.RESET_FORCE_OFF)
elif action == 'pxe-once':
    node.set_system_boot_options(sushy.BOOT_SOURCE_TARGET_PXE, enabled=sushy.BOOT_SOURCE_ENABLED_ONCE)
node.refresh()
print(json.dumps({'power': str(node.power_state.value if hasattr(node.power_state, 'value') else node.power_state),
                  'boot_target': str(node.boot.target.value if node.boot.target else None),
                  'boot_enabled': str(node.boot.enabled.value if node.boot.enabled else None),
                  'systems': sorted(m.split('/')[-1] for m in root.get_system_collection().members_identities)}))
`;

function sushy(
  bmc: Bmc,
  action: string,
): { power: string; boot_target: string; boot_enabled: string; systems: string[] } {
  // requests lets REQUESTS_CA_BUNDLE (set on some machines) override a session's own CA, so it goes.
  const { REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, ...env } = process.env;
  const args = ['-c', sushyScript, bmc.url, 'admin', PASSWORD, DOMAIN, action, bmc.certificate];
  const out = execFileSync('/usr/bin/python3', args, {
    env,
    encoding: 'utf8',
    stdio: 'pipe',
    timeout: 60_000,
  });
  return JSON.parse(out);
}

async function waitForState(
  libvirt: TestLibvirtd,
  name: string,
  wanted: RegExp,
  timeoutMs = 30_000,
): Promise<string> {
  let state = '';
  for (let waited = 0; waited < timeoutMs; waited += 200) {
    state = libvirt.virsh(['domstate', name]).trim();
    if (wanted.test(state)) return state;
    await sleep(200);
  }
  return state;
}

const unavailable = libvirtUnavailable();

describe('bootwright bmc with real Redfish clients', () => {
  it('fence_redfish and sushy power a libvirt domain on and off, and virsh agrees each time', {
    timeout: 300_000,
  }, async (t: TestContext) => {
    assert.equal(unavailable, undefined, unavailable);
    const ns = await createTapNamespace(t, { prefix: 'bw-bmc' });
    const libvirt = await startTestLibvirtd(ns.name, t);
    const work = tempDir(t, 'bootwright-bmc-');
    chmodSync(work, 0o755);
    for (const name of [DOMAIN, OTHER]) {
      const file = join(work, `${name}.xml`);
      writeFileSync(file, domainXml(name, ns.bridge));
      libvirt.virsh(['define', file]);
    }
    const dataDir = join(work, 'bmc');
    const added = await runMain(['user', 'add', `--data-dir=${dataDir}`, '--name=admin'], {
      stdin: `${PASSWORD}\n`,
    });
    assert.equal(added.code, 0, added.stderr);
    const bmc = await startBmc(t, dataDir);
    const explain = (what: string) =>
      `${what}\n--- bmc ---\n${bmc.output()}\n--- libvirtd ---\n${libvirt.logs()}`;

    assert.match(
      fenceRedfish(bmc, 'status').stdout,
      /Status: OFF/,
      explain('fence_redfish status of a defined domain'),
    );
    const on = fenceRedfish(bmc, 'on');
    assert.equal(on.code, 0, explain(`fence_redfish on: ${on.stdout}`));
    assert.equal(
      await waitForState(libvirt, DOMAIN, /^running$/),
      'running',
      explain('virsh after fence_redfish on'),
    );
    assert.match(fenceRedfish(bmc, 'status').stdout, /Status: ON/);
    const off = fenceRedfish(bmc, 'off');
    assert.equal(off.code, 0, explain(`fence_redfish off: ${off.stdout}`));
    assert.equal(
      await waitForState(libvirt, DOMAIN, /^shut off$/),
      'shut off',
      explain('virsh after fence_redfish off'),
    );

    const wrong = fenceRedfish(bmc, 'status', 'not the password');
    assert.notEqual(wrong.code, 0, 'a wrong password is refused');
    assert.doesNotMatch(bmc.output(), /not the password|with spaces/, 'no password in the BMC log');

    const listed = sushy(bmc, 'status');
    assert.deepEqual(listed.systems, [DOMAIN, OTHER], 'the Systems collection lists the matching domains');
    assert.equal(listed.power, 'Off');
    assert.equal(sushy(bmc, 'on').power, 'On');
    assert.equal(
      await waitForState(libvirt, DOMAIN, /^running$/),
      'running',
      explain('virsh after sushy on'),
    );
    assert.equal(sushy(bmc, 'off').power, 'Off');
    assert.equal(
      await waitForState(libvirt, DOMAIN, /^shut off$/),
      'shut off',
      explain('virsh after sushy off'),
    );

    // Network boot once: the domain that starts boots its NIC first; its stored definition still boots the disk,
    // and the BMC reports the override spent.
    const pending = sushy(bmc, 'pxe-once');
    assert.deepEqual([pending.boot_target, pending.boot_enabled], ['Pxe', 'Once']);
    assert.equal(sushy(bmc, 'on').power, 'On');
    const live = libvirt.virsh(['dumpxml', DOMAIN]);
    const stored = libvirt.virsh(['dumpxml', '--inactive', DOMAIN]);
    assert.match(
      live,
      /<os>[\s\S]*<boot dev='network'\/>\s*<boot dev='hd'\/>[\s\S]*<\/os>/,
      explain('live definition'),
    );
    assert.match(stored, /<os>[\s\S]*<boot dev='hd'\/>[\s\S]*<\/os>/);
    assert.doesNotMatch(stored, /<boot dev='network'\/>/, 'the stored definition is as it was');
    const spent = sushy(bmc, 'off');
    assert.equal(spent.boot_enabled, 'Disabled', 'a Once override is spent by the boot it caused');
    assert.equal(await waitForState(libvirt, DOMAIN, /^shut off$/), 'shut off');

    // bootwright's own drivers: the Redfish one, and fence_redfish run as a fence agent the way Cobbler runs them.
    const target = (options: Record<string, string>): PowerTarget => ({
      system: 'vm-one',
      type: 'redfish',
      address: `127.0.0.1:${bmc.port}`,
      user: 'admin',
      password: PASSWORD,
      id: DOMAIN,
      options,
      identityFile: '',
    });
    const signal = () => AbortSignal.timeout(60_000);
    await assert.rejects(
      redfishDriver.run('status', target({}), signal()),
      /^BootwrightError: System vm-one: the Redfish BMC at 127\.0\.0\.1:\d+ shows a certificate nobody here vouches for \(.*\); trust its CA, or add ssl_insecure=1 to --power-options if this BMC is known\.$/,
    );
    const trusting = target({ ssl_insecure: '1' });
    assert.equal((await redfishDriver.run('status', trusting, signal())).state, 'off');
    await redfishDriver.setNextBoot?.('pxe', trusting, signal());
    await redfishDriver.run('on', trusting, signal());
    assert.equal(
      await waitForState(libvirt, DOMAIN, /^running$/),
      'running',
      explain('virsh after the Redfish driver'),
    );
    assert.match(libvirt.virsh(['dumpxml', DOMAIN]), /<boot dev='network'\/>\s*<boot dev='hd'\/>/);
    await assert.rejects(
      redfishDriver.run(
        'status',
        { ...target({ ssl_insecure: '1', auth: 'session' }), password: 'wrong' },
        signal(),
      ),
      /refused user "admin" and its password; check --power-user and --power-pass\.$/,
    );
    const session = target({ ssl_insecure: '1', auth: 'session' });
    assert.equal((await redfishDriver.run('off', session, signal())).state, 'off');
    assert.equal(await waitForState(libvirt, DOMAIN, /^shut off$/), 'shut off');

    const fence = fenceAgentDriver('redfish');
    const fenceTarget = target({ ssl_insecure: '1', systems_uri: `/redfish/v1/Systems/${DOMAIN}` });
    assert.equal((await fence.run('on', fenceTarget, signal())).state, 'on');
    assert.equal(await waitForState(libvirt, DOMAIN, /^running$/), 'running');
    assert.equal((await fence.run('status', fenceTarget, signal())).state, 'on');
    await fence.run('off', fenceTarget, signal());
    assert.equal((await fence.run('status', fenceTarget, signal())).state, 'off');
    assert.equal(libvirt.virsh(['domstate', DOMAIN]).trim(), 'shut off');
    assert.doesNotMatch(bmc.output(), /with spaces/, 'no password in the BMC log');

    // IPMI: pyghmi's virshbmc (its one user is admin / password) in front of the other domain.
    const ipmiPort = await freeUdpPort();
    const virshbmc = spawn(
      '/usr/bin/python3',
      ['/usr/bin/virshbmc', `--port=${ipmiPort}`, `--domain=${OTHER}`],
      {
        stdio: 'ignore',
      },
    );
    t.after(() => {
      virshbmc.kill('SIGTERM');
    });
    const ipmiTarget: PowerTarget = {
      system: 'vm-two',
      type: 'ipmilanplus',
      address: `127.0.0.1:${ipmiPort}`,
      user: 'admin',
      password: 'password',
      id: '',
      options: {},
      identityFile: '',
    };
    let status: string | undefined;
    for (let tries = 0; tries < 20 && status === undefined; tries++) {
      status = await ipmiDriver
        .run('status', ipmiTarget, signal())
        .then((outcome) => outcome.state)
        .catch(() => sleep(500).then(() => undefined));
    }
    assert.equal(status, 'off', 'virshbmc answers with the domain off');
    await ipmiDriver.run('on', ipmiTarget, signal());
    assert.equal(
      await waitForState(libvirt, OTHER, /^running$/),
      'running',
      explain('virsh after the IPMI driver'),
    );
    assert.equal((await ipmiDriver.run('status', ipmiTarget, signal())).state, 'on');
    await ipmiDriver.run('off', ipmiTarget, signal());
    assert.equal(
      await waitForState(libvirt, OTHER, /^shut off$/),
      'shut off',
      explain('virsh after IPMI off'),
    );
  });
});

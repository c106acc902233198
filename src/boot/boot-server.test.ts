// The boot server as a machine meets it: `serve` with TFTP on, real curl fetching boot configs and kernels, and
// every request landing on the install timeline.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { freeUdpPort } from '../../test/support/free-port.js';
import { servedWithToken } from '../../test/support/served.js';
import { tempDir } from '../../test/support/temp-dir.js';

const run = promisify(execFile);

async function boot(t: TestContext) {
  const files = tempDir(t);
  writeFileSync(join(files, 'vmlinuz'), Buffer.alloc(300_000, 1));
  writeFileSync(join(files, 'initrd.img'), Buffer.alloc(1000, 2));
  const { server, base, token } = await servedWithToken(t, { tftpPort: await freeUdpPort() });
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${base}/api/v1/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 201, await response.text());
  };
  await fetch(`${base}/api/v1/settings/server`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify({ value: '127.0.0.1' }),
  });
  await post('distros', {
    name: 'rhel9',
    kernel: join(files, 'vmlinuz'),
    initrd: join(files, 'initrd.img'),
    os_version: 'rhel9',
    autoinstall_meta: 'tree=http://127.0.0.1/t',
  });
  await post('profiles', { name: 'rhel9-base', distro: 'rhel9' });
  await post('systems', {
    name: 'vm9',
    profile: 'rhel9-base',
    mac_address: '52:54:00:00:00:09',
    ip_address: '127.0.0.1',
  });
  return { server, base, files };
}

describe('the boot server over TFTP and HTTP', () => {
  it('serves the per-MAC pxelinux config and the kernel to a real TFTP client, and records the timeline', async (t) => {
    const { server, base } = await boot(t);
    const tftp = `tftp://127.0.0.1:${server.tftpPort}`;
    const config = await run(
      'curl',
      ['-s', '--max-time', '20', `${tftp}/pxelinux.cfg/01-52-54-00-00-00-09`],
      { encoding: 'utf8' },
    );
    assert.match(config.stdout, /KERNEL \/images\/rhel9\/vmlinuz/);
    assert.match(config.stdout, /inst\.ks=http:\/\/127\.0\.0\.1\/cblr\/svc\/op\/autoinstall\/system\/vm9/);
    const kernel = await run(
      'curl',
      ['-s', '--max-time', '30', '--tftp-blksize', '1468', `${tftp}/images/rhel9/vmlinuz`],
      {
        encoding: 'buffer',
        maxBuffer: 10_000_000,
      },
    );
    assert.equal(kernel.stdout.length, 300_000);
    const missing = await run('curl', [
      '-s',
      '--max-time',
      '20',
      `${tftp}/pxelinux.cfg/01-52-54-00-99-99-99`,
    ]).catch((error) => error);
    assert.notEqual(missing.code, 0, 'an unknown MAC gets "file not found", so pxelinux tries its next name');
    assert.match(
      (await run('curl', ['-s', '--max-time', '20', `${tftp}/pxelinux.cfg/default`], { encoding: 'utf8' }))
        .stdout,
      /LABEL rhel9-base/,
    );

    const ks = await fetch(`${base}/cblr/svc/op/autoinstall/system/vm9`);
    assert.equal(ks.status, 200);
    await server.events.flush();
    const timeline = (await (await fetch(`${base}/api/v1/events?system=vm9`)).json()) as {
      items: { type: string; detail: { path?: string } }[];
    };
    const steps = timeline.items.map((event) => `${event.type} ${event.detail.path ?? ''}`.trim());
    assert.ok(steps.includes('tftp.sent pxelinux.cfg/01-52-54-00-00-00-09'), steps.join('\n'));
    assert.ok(steps.includes('tftp.sent images/rhel9/vmlinuz'), steps.join('\n'));
    assert.ok(steps.includes('http.autoinstall /cblr/svc/op/autoinstall/system/vm9'), steps.join('\n'));
  });

  it('answers the first boot request after netboot goes off with local boot, with no sync step', async (t) => {
    const { server, base } = await boot(t);
    assert.equal(
      await (await fetch(`${base}/api/v1/systems/vm9/nopxe`, { method: 'POST' })).text(),
      '{"netboot_disabled":true}',
    );
    const config = await run(
      'curl',
      ['-s', '--max-time', '20', `tftp://127.0.0.1:${server.tftpPort}/pxelinux.cfg/01-52-54-00-00-00-09`],
      { encoding: 'utf8' },
    );
    assert.match(config.stdout, /LOCALBOOT -1/);
  });
});

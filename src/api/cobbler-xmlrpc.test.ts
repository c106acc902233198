// Cobbler's XML-RPC API driven by Python's own xmlrpc.client against a real listening server, as Cobbler users'
// scripts and koan drive it.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { makeBootFiles } from '../../test/support/boot-files.js';
import { testServedRoots } from '../../test/support/served-roots.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { setUserPassword } from '../auth/password.js';
import { dataPaths } from '../config/paths.js';
import { startServer } from '../serve.js';
import { UsersFile } from '../store/users-file.js';

async function server(t: TestContext) {
  const dataDir = tempDir(t);
  await setUserPassword(new UsersFile(dataPaths(dataDir).usersFile), 'cobbler', 'cobbler-pass');
  const running = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort: 0 });
  t.after(() => running.stop());
  return { url: `http://127.0.0.1:${running.port}/cobbler_api`, running };
}

/** Runs a Python snippet with `s` bound to a ServerProxy; the snippet sets `out`, which comes back as JSON. */
// Asynchronous on purpose: the server answers from this same process, so a blocking spawn would deadlock.
async function python(url: string, code: string): Promise<any> {
  const script = `
import json, sys, xmlrpc.client
s = xmlrpc.client.ServerProxy(sys.argv[1], allow_none=False)
out = None
${code}
print(json.dumps(out, default=str))
`;
  const { stdout } = await promisify(execFile)('python3', ['-c', script, url], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(stdout);
}

describe('Cobbler XML-RPC API with Python xmlrpc.client', () => {
  it('adds objects with a token and renders them the way koan needs', async (t: TestContext) => {
    const { url } = await server(t);
    const files = makeBootFiles(join(tempDir(t), 'rhel/images/xen'));
    const out = await python(
      url,
      `
token = s.login('cobbler', 'cobbler-pass')
s.modify_setting('served_roots', ${JSON.stringify(testServedRoots.join(' '))}, token)
s.xapi_object_edit('distro', 'rhel-5.5-xen-i386', 'add', {'kernel': '${files.kernel}', 'initrd': '${files.initrd}', 'arch': 'i386', 'breed': 'redhat', 'os_version': 'rhel5', 'autoinstall_meta': 'tree=http://@@http_server@@/cblr/links/rhel-5.5-xen-i386'}, token)
s.xapi_object_edit('profile', 'redhat-5.5-xen-i386', 'add', {'distro': 'rhel-5.5-xen-i386', 'kernel_options': 'foo=1 quiet', 'virt_bridge': 'br0', 'virt_file_size': '8'}, token)
h = s.new_system(token)
s.modify_system(h, 'name', 'vm9', token)
s.modify_system(h, 'profile', 'redhat-5.5-xen-i386', token)
s.modify_system(h, 'hostname', 'vm9', token)
s.modify_system(h, 'modify_interface', {'macaddress-eth0': s.get_random_mac('xenpv', token), 'ipaddress-eth0': '192.0.2.9', 'dnsname-eth0': 'vm9.example.org'}, token)
s.save_system(h, token)
r = s.get_system_as_rendered('vm9')
out = {
  'ping': s.ping(),
  'version': s.version(),
  'systems': [x['name'] for x in s.get_systems()],
  'found': s.find_system({'name': 'vm*'}),
  'by_dns': s.find_system_by_dns_name('vm9.example.org').get('name'),
  'rendered_types': {k: type(r[k]).__name__ for k in ['name', 'http_server', 'breed', 'os_version', 'kickstart', 'kernel_options', 'virt_file_size', 'virt_ram', 'virt_cpus', 'autoinstall_meta', 'interfaces', 'virt_type', 'virt_path', 'virt_auto_boot']},
  'rendered': r,
  'unknown': s.get_system_as_rendered('nope'),
  'for_koan': s.get_profile_for_koan('redhat-5.5-xen-i386')['kernel_options'],
  'blended_profile': s.get_blended_data('redhat-5.5-xen-i386', '')['profile_name'],
  'token_ok': s.token_check(token),
}
`,
    );
    assert.equal(out.ping, true);
    assert.equal(out.version, 3.3);
    assert.deepEqual(out.systems, ['vm9']);
    assert.deepEqual(out.found, ['vm9']);
    assert.equal(out.by_dns, 'vm9');
    assert.deepEqual(out.rendered_types, {
      name: 'str',
      http_server: 'str',
      breed: 'str',
      os_version: 'str',
      kickstart: 'str',
      kernel_options: 'str',
      virt_file_size: 'int',
      virt_ram: 'int',
      virt_cpus: 'int',
      autoinstall_meta: 'dict',
      interfaces: 'dict',
      virt_type: 'str',
      virt_path: 'str',
      virt_auto_boot: 'bool',
    });
    const rendered = out.rendered;
    assert.equal(rendered.kernel_options, 'foo=1 quiet');
    assert.equal(rendered.virt_file_size, 8);
    assert.equal(rendered.kickstart, 'legacy.ks', 'a RHEL 5 distro takes legacy.ks, as import gives it');
    assert.equal(rendered.autoinstall_meta.tree, 'http://127.0.0.1/cblr/links/rhel-5.5-xen-i386');
    assert.equal(
      rendered.interfaces.eth0.virt_bridge,
      'br0',
      'the inherited bridge is resolved, never <<inherit>>',
    );
    assert.match(rendered.interfaces.eth0.mac_address, /^00:16:3e:[0-7][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}$/);
    assert.equal(rendered.ip_address_eth0, '192.0.2.9');
    assert.doesNotMatch(JSON.stringify(rendered), /<<inherit>>|"~"/);
    assert.deepEqual(out.unknown, {});
    assert.equal(out.for_koan, 'foo=1 quiet');
    assert.equal(out.blended_profile, 'redhat-5.5-xen-i386');
    assert.equal(out.token_ok, true);
  });

  it('keeps a handle good after save and after a refused save, as scripts that reuse it expect', async (t: TestContext) => {
    const { url } = await server(t);
    const files = tempDir(t);
    writeFileSync(join(files, 'vmlinuz'), 'kernel');
    writeFileSync(join(files, 'initrd.img'), 'initrd');
    const out = await python(
      url,
      `
def fault(call):
    try:
        return call()
    except xmlrpc.client.Fault as f:
        return [f.faultCode, f.faultString]
token = s.login('cobbler', 'cobbler-pass')
s.modify_setting('served_roots', ${JSON.stringify(testServedRoots.join(' '))}, token)
s.xapi_object_edit('distro', 'd', 'add', {'kernel': '${join(files, 'vmlinuz')}', 'initrd': '${join(files, 'initrd.img')}'}, token)
s.xapi_object_edit('profile', 'p', 'add', {'distro': 'd'}, token)
s.xapi_object_edit('system', 'vm1', 'add', {'profile': 'p'}, token)
h = s.get_system_handle('vm1', token)
s.modify_system(h, 'virt_ram', 'lots', token)
refused = fault(lambda: s.save_system(h, token))
s.modify_system(h, 'comment', 'after the refusal', token)
saved = s.save_system(h, token)
s.modify_system(h, 'virt_ram', 2048, token)
again = s.save_system(h, token)
out = {'refused': refused, 'saved': saved, 'again': again, 'handle': h, 'system': s.get_system('vm1')}
`,
    );
    assert.equal(out.handle, 'system::vm1', "Cobbler's handle form");
    assert.equal(out.refused[0], 1);
    assert.match(out.refused[1], /"lots"/);
    assert.equal(out.saved, true, 'the refused change does not stay on the shared handle');
    assert.equal(out.again, true);
    assert.equal(out.system.comment, 'after the refusal');
    assert.equal(out.system.virt_ram, 2048);
  });

  it('refuses writes without a token and reports bad input as faults', async (t: TestContext) => {
    const { url } = await server(t);
    const out = await python(
      url,
      `
def fault(call):
    try:
        call()
        return None
    except xmlrpc.client.Fault as f:
        return [f.faultCode, f.faultString]
token = s.login('cobbler', 'cobbler-pass')
out = {
  'no_token': fault(lambda: s.xapi_object_edit('distro', 'd1', 'add', {'kernel': '/k', 'initrd': '/i'}, '')),
  'bad_login': fault(lambda: s.login('cobbler', 'wrong')),
  'unknown_profile': fault(lambda: s.xapi_object_edit('system', 'vm1', 'add', {'profile': 'nope'}, token)),
  'bad_mac': fault(lambda: s.xapi_object_edit('distro', 'd1', 'add', {'kernel': '/k', 'initrd': '/i', 'arch': 'sparc'}, token)),
  'unknown_method': fault(lambda: s.no_such_method()),
  'distros': s.get_distros(),
}
`,
    );
    assert.match(out.no_token[1], /login token/);
    assert.match(out.bad_login[1], /Login failed/);
    assert.match(out.unknown_profile[1], /profile "nope" does not exist/);
    assert.match(out.bad_mac[1], /"sparc"/);
    assert.match(out.unknown_method[1], /no_such_method/);
    assert.deepEqual(out.distros, [], 'nothing was half-written');
  });
});

// Every read route, swept (issue 16): each GET route of the application, read from its route table so that a route
// added later is swept too, is requested with no token, a read-only token and an admin token, with the
// autoinstall_secrets setting off and on. Whoever sends no token must never receive the root password hash, a power
// password, or (with the setting on) a system's or profile's autoinstall secret, except where handing one out is
// the point: the boot script of a MAC (the booting machine has nothing else to show) and the boot menu (each entry
// must carry its profile's URL); with the setting off, the installer's own reads are open, as in Cobbler. A token holder is never refused a read, and nothing answers 500.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serviceOperations } from '../../src/api/cobbler-svc.js';
import { CobblerXmlRpc } from '../../src/api/cobbler-xmlrpc.js';
import { isObjectKind, objectKinds } from '../../src/model/kinds.js';
import { parseMethodResponse, serializeMethodCall, type XmlRpcValue } from '../../src/xmlrpc/codec.js';
import { apiFixture } from '../support/api-fixture.js';
import { sharedBootFiles } from '../support/boot-files.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

const HASH = '$6$sweep$0123456789abcdefABCDEF';
const POWER_PASS = 'hunter2-power';
const MAC = '52:54:00:12:34:56';

/** One object of each kind the sweep reads, by the name used in its paths. */
const sampleNames: Record<string, string> = { system: 'vm9', profile: 'p', distro: 'd', repo: 'r' };

/** Every operation of Cobbler's /cblr/svc/op/ service, with a path that reaches it (checked against the list below). */
const svcOperations = [
  '/cblr/svc/op/autoinstall/system/vm9',
  '/cblr/svc/op/autoinstall/profile/p',
  '/cblr/svc/op/ks/system/vm9',
  '/cblr/svc/op/ks/profile/p',
  '/cblr/svc/op/script/system/vm9?script=preseed_early_default',
  '/cblr/svc/op/template/system/vm9/path/etc_hosts',
  '/cblr/svc/op/list/what/systems',
  '/cblr/svc/op/list/what/profiles',
  '/cblr/svc/op/autodetect',
  '/cblr/svc/op/findks',
  '/cblr/svc/op/find_autoinstall',
  '/cblr/svc/op/settings',
  '/cblr/svc/op/ipxe/system/vm9',
  '/cblr/svc/op/ipxe/profile/p',
  `/cblr/svc/op/ipxe/mac/${MAC}`,
  '/cblr/svc/op/ipxe',
  '/cblr/svc/op/yum/system/vm9',
  '/cblr/svc/op/yum/profile/p',
  '/cblr/svc/op/apt/system/vm9',
  '/cblr/svc/op/apt/profile/p',
  '/cblr/svc/op/puppet/hostname/vm9.example.org',
  // Last: these change state (an install report, netboot off), as an installer's GET does.
  '/cblr/svc/op/trig/mode/pre/system/vm9',
  '/cblr/svc/op/nopxe/system/vm9',
];

/** Paths that may hand out a secret without a token, and whose secret. */
const secretBearing: Record<string, string[]> = {
  [`/cblr/svc/op/ipxe/mac/${MAC}`]: ['system:vm9'],
  '/cblr/svc/op/ipxe': ['profile:p'],
};

/** The XML-RPC twins of the installer reads below: Cobbler's generate_* and template files. */
const installerMethods = /^(?:generate_\w*autoinstall|generate_script|get_template_file_for_\w+)$/;

/**
 * What an installer reads while it runs: with autoinstall_secrets off these are open to all, as in Cobbler, and
 * the kickstart must carry the root password hash; the setting exists to close them.
 */
const installerReads =
  /^\/cblr\/svc\/op\/(autoinstall|ks|script|template|findks|find_autoinstall)\/|^\/api\/v1\/\w+\/[^/]+\/autoinstall$/;

/** The sample paths of one GET route pattern; an unknown parameter fails the sweep, so that no route is skipped. */
function samplePaths(pattern: string): string[] {
  if (pattern === '/cblr/svc/op/*') return svcOperations;
  // A stream that never ends; what it sends is what /api/v1/events lists, which is swept.
  if (pattern === '/api/v1/events/stream') return [];
  let paths = [pattern];
  const expand = (parameter: string, values: string[]) => {
    paths = paths.flatMap((path) =>
      path.includes(parameter) ? values.map((value) => path.replace(parameter, value)) : [path],
    );
  };
  if (pattern.includes(':kinds/:name')) {
    paths = paths.flatMap((path) =>
      objectKinds.map((kind) => path.replace(':kinds/:name', `${kind}s/${sampleNames[kind] ?? 'x'}`)),
    );
  }
  expand(
    ':kinds',
    objectKinds.map((kind) => `${kind}s`),
  );
  expand(':name', ['vm9']);
  expand(':loader', ['pxelinux', 'grub', 'ipxe']);
  expand(':mode', ['pre', 'post']);
  expand(':file', ['anaconda.log']);
  expand(':fqdn', ['vm9.example.org']);
  expand(':id', ['2026-01-01_000000_Reposync_0']);
  expand(':distro', ['d']);
  expand(':tree', ['d']);
  expand('*', ['images/vmlinuz']);
  for (const path of paths)
    assert.doesNotMatch(path, /:\w/, `no sample value for ${path}: add one to the sweep`);
  return paths;
}

/** Arguments that reach the body of an XML-RPC read method, from its name. */
function sampleParams(method: string): XmlRpcValue[] {
  const perKind = /^(?:get|has|find)_(\w+?)(s|_as_rendered|_for_koan)?$/.exec(method);
  const kind = perKind?.[1] ?? '';
  if (perKind && isObjectKind(kind)) {
    if (method.startsWith('find_')) return [{ name: '*' }, true];
    return perKind[2] === 's' ? [] : [sampleNames[kind] ?? 'x'];
  }
  const params: Record<string, XmlRpcValue[]> = {
    get_item: ['system', 'vm9'],
    get_items: ['system'],
    get_item_names: ['system'],
    find_items: ['system', { name: '*' }, '', true],
    find_system_by_dns_name: ['vm9.example.org'],
    get_blended_data: ['', 'vm9'],
    upload_log_data: ['vm9', 'anaconda.log', 5, 0, Buffer.from('line\n')],
    generate_autoinstall: ['', 'vm9'],
    generate_profile_autoinstall: ['p'],
    generate_system_autoinstall: ['vm9'],
    generate_ipxe: ['', '', 'vm9'],
    generate_script: ['', 'vm9', 'preseed_late_default'],
    get_template_file_for_system: ['vm9', '/etc/motd'],
    get_template_file_for_profile: ['p', '/etc/motd'],
    get_repo_config_for_system: ['vm9'],
    get_repo_config_for_profile: ['p'],
    get_item_resolved_value: ['', 'power_pass'],
    is_autoinstall_in_use: ['default.ks'],
    get_valid_distro_boot_loaders: ['d'],
    get_valid_profile_boot_loaders: ['p'],
    get_valid_system_boot_loaders: ['vm9'],
    find_items_paged: ['system', { name: '*' }],
    has_item: ['system', 'vm9'],
    get_config_data: ['vm9.example.org'],
  };
  return params[method] ?? [];
}

describe('every read route, swept', () => {
  it('has a sample path for every /cblr/svc/op/ operation the service answers', () => {
    const sampled = new Set(svcOperations.map((path) => /^\/cblr\/svc\/op\/([^/?]+)/.exec(path)?.[1]));
    const missing = [...serviceOperations].filter((op) => !sampled.has(op));
    assert.deepEqual(missing, [], `add a sample path for ${missing.join(', ')}`);
  });

  for (const secretsOn of [false, true]) {
    it(`gives no secret to a reader without a token, and refuses no token holder (autoinstall_secrets ${secretsOn ? 'on' : 'off'})`, async (t) => {
      const fixture = await apiFixture(t);
      const admin = { authorization: `Bearer ${fixture.adminToken}`, 'content-type': 'application/json' };
      const write = async (method: string, path: string, body: unknown) => {
        const response = await fixture.app.request(path, {
          method,
          headers: admin,
          body: JSON.stringify(body),
        });
        assert.ok(response.status < 300, `${method} ${path}: ${await response.text()}`);
      };
      await write('PUT', '/api/v1/settings/default_password_crypted', { value: HASH });
      await write('PUT', '/api/v1/settings/server', { value: '192.0.2.1' });
      await write('PUT', '/api/v1/settings/autoinstall_secrets', { value: secretsOn });
      await write('POST', '/api/v1/distros', {
        name: 'd',
        kernel: bootFiles.kernel,
        initrd: bootFiles.initrd,
      });
      await write('POST', '/api/v1/repos', { name: 'r', mirror: 'http://198.51.100.7/epel/' });
      await write('POST', '/api/v1/profiles', { name: 'p', distro: 'd' });
      await write('POST', '/api/v1/systems', {
        name: 'vm9',
        profile: 'p',
        hostname: 'vm9.example.org',
        mac_address: MAC,
        ip_address: '192.0.2.9',
        power_type: 'ipmilan',
        power_pass: POWER_PASS,
      });
      const secrets = fixture.services.renderer.secrets;
      assert.ok(secrets, 'the fixture has autoinstall secrets, as serve does');
      const autoinstallSecrets = {
        'system:vm9': secrets.secretFor({ kind: 'system', name: 'vm9' }),
        'profile:p': secrets.secretFor({ kind: 'profile', name: 'p' }),
      };
      const viewer = await fixture.services.auth.login('viewer', 'secret-viewer');

      const patterns = [
        ...new Set(fixture.app.routes.filter((route) => route.method === 'GET').map((route) => route.path)),
      ];
      const swept: string[] = [];
      for (const pattern of patterns) {
        for (const path of samplePaths(pattern)) {
          for (const [who, token] of [
            ['no token', undefined],
            ['a read-only token', viewer],
            ['an admin token', fixture.adminToken],
          ] as const) {
            const response = await fixture.app.request(path, {
              headers: token ? { authorization: `Bearer ${token}` } : {},
            });
            const body = await response.text();
            const what = `GET ${path} with ${who}: ${response.status} ${body.slice(0, 200)}`;
            assert.ok(response.status < 500, what);
            if (token) {
              assert.ok(response.status !== 401 && response.status !== 403, what);
              continue;
            }
            if (secretsOn || !installerReads.test(path))
              assert.ok(!body.includes(HASH), `${what}: the root password hash`);
            assert.ok(!body.includes(POWER_PASS), `${what}: the power password`);
            if (!secretsOn) continue;
            for (const [owner, secret] of Object.entries(autoinstallSecrets)) {
              if (secretBearing[path]?.includes(owner)) continue;
              assert.ok(!body.includes(secret), `${what}: the autoinstall secret of ${owner}`);
            }
          }
          swept.push(path);
        }
      }
      // XML-RPC reads carry no token, as in Cobbler: every open method, each with arguments that reach its body.
      const methods = [...new CobblerXmlRpc(fixture.services).openReads];
      for (const method of methods) {
        const response = await fixture.app.request('/cobbler_api', {
          method: 'POST',
          body: serializeMethodCall(method, sampleParams(method)),
        });
        const body = await response.text();
        const answer = parseMethodResponse(body);
        const what = `XML-RPC ${method}: ${body.slice(0, 300)}`;
        assert.ok(answer.ok || !/E_INTERNAL|internal/i.test(answer.faultString), what);
        if (secretsOn || !installerMethods.test(method))
          assert.ok(!body.includes(HASH), `${what}: the root password hash`);
        assert.ok(!body.includes(POWER_PASS), `${what}: the power password`);
        if (secretsOn) {
          for (const [owner, secret] of Object.entries(autoinstallSecrets))
            assert.ok(!body.includes(secret), `${what}: the autoinstall secret of ${owner}`);
        }
      }
      assert.ok(methods.includes('get_system_as_rendered') && methods.length > 30, methods.join(', '));

      // The route table was read: a broken one would make the sweep pass with nothing swept.
      for (const expected of [
        '/api/v1/systems/vm9',
        '/api/v1/systems/vm9/boot/ipxe',
        '/api/v1/systems/vm9/autoinstall',
        '/cblr/svc/op/settings',
      ]) {
        assert.ok(swept.includes(expected), `${expected} was not swept`);
      }
      assert.ok(swept.length > 60, `only ${swept.length} paths swept`);
    });
  }
});

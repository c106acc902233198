import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { renderBindZones, renderDnsmasqHosts, renderHostsFile } from './dns-config.js';
import {
  checkWith,
  exampleSettings,
  exampleSite,
  exampleSystems,
  findProgram,
  scratchDir,
  system,
} from './site.fixture.js';

const SERIAL = 2024061501;

function records(text: string, comment: string): string[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith(comment));
}

/** The resource records of a zone file: everything after the SOA's closing parenthesis. */
function zoneRecords(text: string): string[] {
  const lines = text.split('\n');
  return lines.slice(lines.findIndex((line) => line.includes(' )')) + 1).filter((line) => line !== '');
}

function zone(name: string, input = exampleSite()) {
  const found = renderBindZones({ ...input, serial: SERIAL }).zones.find(
    (candidate) => candidate.name === name,
  );
  assert.ok(found, `zone ${name}`);
  return found;
}

describe('hosts file', () => {
  it('has one line per interface with an address and a DNS name, aliases after the name', () => {
    assert.deepEqual(records(renderHostsFile(exampleSite()), '#'), [
      '192.0.2.20\tdb1.example.org\tmysql.example.org',
      '192.0.2.10\tweb1.example.org\twww.example.org\tstatic.example.org',
      '192.0.2.11\tweb1-mgmt.example.org',
    ]);
  });
});

describe('dnsmasq DNS records', () => {
  it('answers A and PTR with host-record, and aliases with cname', () => {
    assert.deepEqual(records(renderDnsmasqHosts(exampleSite()), '#'), [
      'host-record=db1.example.org,192.0.2.20',
      'host-record=web1.example.org,192.0.2.10',
      'host-record=web1-mgmt.example.org,192.0.2.11',
      'cname=mysql.example.org,db1.example.org',
      'cname=www.example.org,web1.example.org',
      'cname=static.example.org,web1.example.org',
    ]);
  });
});

describe('BIND zones', () => {
  it('names a forward zone per domain and a reverse zone per /24 in the named.conf statements', () => {
    const { namedConf, zones } = renderBindZones({ ...exampleSite(), serial: SERIAL });
    assert.deepEqual(
      zones.map((entry) => [entry.name, entry.file]),
      [
        ['example.org', 'db.example.org'],
        ['2.0.192.in-addr.arpa', 'db.2.0.192.in-addr.arpa'],
      ],
    );
    assert.ok(namedConf.includes('zone "example.org" {\n\ttype master;\n\tfile "db.example.org";\n};'));
    assert.ok(
      namedConf.includes(
        'zone "2.0.192.in-addr.arpa" {\n\ttype master;\n\tfile "db.2.0.192.in-addr.arpa";\n};',
      ),
    );
  });

  it('writes SOA and NS for the server, A and CNAME records in the forward zone', () => {
    const { text } = zone('example.org');
    assert.match(text, /^\$TTL 3600$/m);
    assert.match(text, /^@\tIN\tSOA\tns\.example\.org\. hostmaster\.example\.org\. \($/m);
    assert.match(text, new RegExp(`^\\t\\t${SERIAL}\\t; serial$`, 'm'));
    assert.deepEqual(zoneRecords(text), [
      '\tIN\tNS\tns.example.org.',
      'db1\tIN\tA\t192.0.2.20',
      'web1\tIN\tA\t192.0.2.10',
      'web1-mgmt\tIN\tA\t192.0.2.11',
      // No system has the server's address, so the name server gets a name of its own.
      'ns\tIN\tA\t192.0.2.1',
      'mysql\tIN\tCNAME\tdb1.example.org.',
      'www\tIN\tCNAME\tweb1.example.org.',
      'static\tIN\tCNAME\tweb1.example.org.',
    ]);
  });

  it('writes a PTR for every address, in address order', () => {
    assert.deepEqual(zoneRecords(zone('2.0.192.in-addr.arpa').text), [
      '\tIN\tNS\tns.example.org.',
      '1\tIN\tPTR\tns.example.org.',
      '10\tIN\tPTR\tweb1.example.org.',
      '11\tIN\tPTR\tweb1-mgmt.example.org.',
      '20\tIN\tPTR\tdb1.example.org.',
    ]);
  });

  it('takes the name of the system that has the server address for NS', () => {
    const input = exampleSite({ server: '192.0.2.10' });
    assert.match(zone('example.org', input).text, /^\tIN\tNS\tweb1\.example\.org\.$/m);
    assert.doesNotMatch(zone('example.org', input).text, /^ns\t/m);
  });

  it('gives short names the domain of dhcp_domain, and makes zones for every domain in use', () => {
    const input = {
      settings: exampleSettings(),
      systems: [
        system(
          'app',
          {},
          { eth0: { ip_address: '198.51.100.7', dns_name: 'app', cnames: ['api.lab.example.net'] } },
        ),
      ],
    };
    const { zones } = renderBindZones({ ...input, serial: SERIAL });
    assert.deepEqual(
      zones.map((entry) => entry.name),
      ['example.org', 'lab.example.net', '2.0.192.in-addr.arpa', '100.51.198.in-addr.arpa'],
    );
    assert.deepEqual(zoneRecords(zone('lab.example.net', input).text), [
      '\tIN\tNS\tns.example.org.',
      'api\tIN\tCNAME\tapp.example.org.',
    ]);
  });

  it('leaves out a CNAME that is also an address name, which DNS does not allow', () => {
    const input = {
      settings: exampleSettings(),
      systems: [
        ...exampleSystems,
        system(
          'web2',
          {},
          { eth0: { ip_address: '192.0.2.12', dns_name: 'web2.example.org', cnames: ['db1'] } },
        ),
      ],
    };
    assert.doesNotMatch(zone('example.org', input).text, /^db1\tIN\tCNAME/m);
    assert.ok(!renderDnsmasqHosts(input).includes('cname=db1.example.org'));
  });

  it('refuses a CNAME that is no host name, naming the system', () => {
    const input = {
      settings: exampleSettings(),
      systems: [system('bad', {}, { eth0: { ip_address: '192.0.2.9', dns_name: 'bad', cnames: ['a;b'] } })],
    };
    assert.throws(
      () => renderHostsFile(input),
      /^BootwrightError: System "bad" interface "eth0" CNAME "a;b" is not valid: use letters, digits and - in dot-separated labels\.$/,
    );
  });

  it('writes no zone when no system has a DNS name and there is no domain', () => {
    const result = renderBindZones({
      settings: exampleSettings({ dhcp_domain: '' }),
      systems: [],
      serial: SERIAL,
    });
    assert.deepEqual(result.zones, []);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Debian's BIND tools load what was written, as named would; dnsmasq checks its records.

describe('the DNS servers accept the records', () => {
  const dir = scratchDir();
  before(() => {
    const missing = ['named-checkzone', 'named-checkconf', 'dnsmasq'].filter(
      (program) => !findProgram(program),
    );
    assert.deepEqual(missing, [], 'Install the Debian packages bind9-utils and dnsmasq-base.');
  });

  const variants: [string, ReturnType<typeof exampleSite>][] = [
    ['the example site', exampleSite()],
    ['a server that is one of the systems', exampleSite({ server: '192.0.2.10' })],
    [
      'names in several domains and networks',
      {
        settings: exampleSettings(),
        systems: [
          ...exampleSystems,
          system(
            'app',
            {},
            { eth0: { ip_address: '198.51.100.7', dns_name: 'app', cnames: ['api.lab.example.net'] } },
          ),
        ],
      },
    ],
  ];

  for (const [name, input] of variants) {
    it(`named-checkzone takes every zone and named-checkconf the statements, for ${name}`, () => {
      const { namedConf, zones } = renderBindZones({ ...input, serial: SERIAL });
      for (const entry of zones) {
        // fail instead of warn on bad owner names and NS records; "local" checks what named checks when loading.
        const run = checkWith(
          'named-checkzone',
          ['-k', 'fail', '-n', 'fail', '-i', 'local', entry.name, '{file}'],
          dir,
          entry.file,
          entry.text,
        );
        assert.equal(run.code, 0, `${entry.name}:\n${run.output}\n${entry.text}`);
        assert.match(run.output, new RegExp(`loaded serial ${SERIAL}`));
      }
      writeFileSync(join(dir, 'zones.conf'), namedConf);
      const conf = `options { directory "${dir}"; };\ninclude "${join(dir, 'zones.conf')}";\n`;
      const run = checkWith('named-checkconf', ['-z', '{file}'], dir, 'named.conf', conf);
      assert.equal(run.code, 0, run.output);
    });

    it(`dnsmasq --test takes the records, for ${name}`, () => {
      const run = checkWith(
        'dnsmasq',
        ['--test', '--conf-file={file}'],
        dir,
        'hosts.conf',
        renderDnsmasqHosts(input),
      );
      assert.equal(run.code, 0, run.output);
    });
  }

  it('and named-checkzone does fail on a broken zone', () => {
    const { text } = zone('example.org');
    const run = checkWith(
      'named-checkzone',
      ['-k', 'fail', 'example.org', '{file}'],
      dir,
      'bad.zone',
      text.replace('web1\tIN\tA\t192.0.2.10', 'web1\tIN\tA\t192.0.2.300'),
    );
    assert.notEqual(run.code, 0, run.output);
  });
});

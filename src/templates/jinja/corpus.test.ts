// The Jinja corpus: every template in corpus/ (snippets, includes and imports in corpus/snippets/) is rendered for
// each of three real systems by bootwright's renderer and by Debian's python3-jinja2 driven as Cobbler 3.3 drives it
// (jinja-reference.py), with the same variables: that system's blended view as `dumpvars` gives it. The outputs
// must be identical to the byte. Nothing is stored: the reference is rendered live, so it cannot drift from Jinja.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sharedBootFiles } from '../../../test/support/boot-files.js';
import { serveTestRoots } from '../../../test/support/served-roots.js';
import { openServices } from '../../services.js';
import type { AutoinstallRenderer } from '../render.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

const here = dirname(fileURLToPath(import.meta.url));
const corpusDir = join(here, 'corpus');
const templates = readdirSync(corpusDir, { withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => entry.name)
  .sort();
/** Templates Jinja refuses to render: bootwright must refuse them too, naming the file and line. */
const failing = readdirSync(join(corpusDir, 'errors')).sort();

/** Three machines that between them reach every branch of the corpus: two NICs, one NIC, none at all. */
const systems = ['vm9', 'deb1', 'bare'] as const;

/**
 * Where bootwright knowingly renders differently from Jinja, as `template for system`, each with its reason. The
 * test checks that each of these still differs, so that a fix shows up as a failure asking to shorten the list.
 */
const knownDifferences = new Map<string, string>([]);

/**
 * A line diff of two renders, each line as a JSON string so that trailing blanks, tabs and a missing last newline
 * show: `-` lines are Jinja's, `+` lines bootwright's, two lines of context around each change.
 */
function lineDiff(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  // Longest common subsequence, from the end, so the walk below can go forwards.
  const common: number[][] = Array.from({ length: a.length + 1 }, () =>
    new Array<number>(b.length + 1).fill(0),
  );
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = common[i] as number[];
      row[j] =
        a[i] === b[j]
          ? (common[i + 1]?.[j + 1] ?? 0) + 1
          : Math.max(common[i + 1]?.[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const lines: { mark: ' ' | '-' | '+'; text: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push({ mark: ' ', text: a[i] as string });
      i += 1;
      j += 1;
    } else if (j < b.length && (i >= a.length || (common[i]?.[j + 1] ?? 0) > (common[i + 1]?.[j] ?? 0))) {
      lines.push({ mark: '+', text: b[j] as string });
      j += 1;
    } else {
      lines.push({ mark: '-', text: a[i] as string });
      i += 1;
    }
  }
  const shown = lines.filter((_, at) =>
    lines.slice(Math.max(0, at - 2), at + 3).some((line) => line.mark !== ' '),
  );
  return shown.map((line) => `${line.mark} ${JSON.stringify(line.text)}`).join('\n');
}

interface Reference {
  output?: string;
  error?: string;
}

async function setUpSite(dataDir: string) {
  const services = await openServices({ dataDir, triggers: false });
  const { inventory } = services;
  await serveTestRoots(inventory);
  await inventory.setSetting('server', '192.0.2.1');
  await inventory.add('distro', {
    name: 'rhel9',
    kernel: bootFiles.kernel,
    initrd: bootFiles.initrd,
    breed: 'redhat',
    os_version: 'rhel9',
    kernel_options: 'inst.text console=ttyS0,115200n8 ip=dhcp',
    autoinstall_meta: 'tree=http://@@http_server@@/cblr/links/rhel9 lang=de_DE.UTF-8',
  });
  await inventory.add('distro', {
    name: 'deb12',
    kernel: bootFiles.kernel,
    initrd: bootFiles.initrd,
    breed: 'debian',
    os_version: 'bookworm',
    autoinstall_meta: 'tree=http://@@http_server@@/cblr/links/deb12',
  });
  await inventory.add('profile', {
    name: 'web',
    distro: 'rhel9',
    name_servers: '192.0.2.53 192.0.2.54',
    autoinstall_meta: 'disks=sda,sdb data_size=2048 packages=vim-enhanced,git',
  });
  await inventory.add('profile', { name: 'db', distro: 'deb12', virt_ram: 4096, virt_file_size: '40' });
  await inventory.add('system', {
    name: 'vm9',
    profile: 'web',
    hostname: 'vm9.example.org',
    mac_address: '52:54:00:00:00:09',
    ip_address: '192.0.2.9',
    netmask: '255.255.255.0',
    comment: 'Rechenzentrum Köln – Reihe 3 ✓',
  });
  await inventory.edit(
    'system',
    'vm9',
    { mac: '52:54:00:00:00:0a', static: true, ip_address: '198.51.100.9' },
    { interface: 'eth1' },
  );
  await inventory.add('system', {
    name: 'deb1',
    profile: 'db',
    hostname: 'deb1',
    mac_address: '52:54:00:00:01:01',
    comment: 'say "hi" & <wave> $HOME `id`; it\'s \\ fine',
    autoinstall_meta: { greeting: 'hello $USER; rm -rf "/tmp/x" && echo \'done\'', motd: 'line1\nline2' },
  });
  await inventory.add('system', { name: 'bare', profile: 'web' });
  return services;
}

describe('Jinja corpus: bootwright renders what python3-jinja2 renders for Cobbler, byte for byte', () => {
  let renderer: AutoinstallRenderer;
  const variables = new Map<string, Record<string, unknown>>();
  let reference: Record<string, Reference> = {};
  let close: (() => Promise<void>) | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'bootwright-jinja-corpus-'));
  after(async () => {
    await close?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  before(async () => {
    cpSync(corpusDir, join(dataDir, 'templates'), { recursive: true });
    cpSync(join(corpusDir, 'snippets'), join(dataDir, 'snippets'), { recursive: true });
    const services = await setUpSite(dataDir);
    close = services.close;
    renderer = services.renderer;
    for (const system of systems) {
      variables.set(system, await renderer.variables({ kind: 'system', name: system }));
    }
    const cases = templates.flatMap((template) =>
      systems.map((system) => ({
        name: `${template} for ${system}`,
        text: readFileSync(join(corpusDir, template), 'utf8'),
        variables: variables.get(system),
      })),
    );
    for (const template of failing) {
      cases.push({
        name: `errors/${template}`,
        text: readFileSync(join(corpusDir, 'errors', template), 'utf8'),
        variables: variables.get('vm9'),
      });
    }
    // One Python process renders the whole corpus: starting Python once per case would dominate the run time.
    const python = '/usr/bin/python3';
    const child = promisify(execFile)(python, [join(here, 'jinja-reference.py')], {
      maxBuffer: 64 * 1024 * 1024,
    });
    child.child.stdin?.end(JSON.stringify({ includeDir: join(corpusDir, 'snippets'), cases }));
    const { stdout } = await child.catch((error: Error) => {
      throw new Error(
        `the Jinja corpus needs ${python} with Jinja 3 (apt-get install python3-jinja2): ${error.message}`,
      );
    });
    reference = JSON.parse(stdout) as Record<string, Reference>;
  });

  it('has at least 25 templates, and every known difference names a case of the corpus', () => {
    assert.ok(templates.length >= 25, `only ${templates.length} templates in the corpus`);
    const names = new Set(
      templates.flatMap((template) => systems.map((system) => `${template} for ${system}`)),
    );
    for (const name of knownDifferences.keys()) assert.ok(names.has(name), `${name} is not in the corpus`);
  });

  for (const template of templates) {
    for (const system of systems) {
      const name = `${template} for ${system}`;
      it(name, () => {
        const expected = reference[name];
        assert.ok(expected, `python3-jinja2 produced nothing for ${name}`);
        assert.equal(expected.error, undefined, `python3-jinja2 could not render ${name}: ${expected.error}`);
        const file = renderer.library.template(template);
        // The renderer may add to the variables (as Jinja's own context does not): each case gets its own copy.
        const own = structuredClone(variables.get(system) ?? {});
        const actual = renderer.renderFile(file, own, { kind: 'system', name: system }, {}).text;
        const reason = knownDifferences.get(name);
        if (reason === undefined) {
          if (actual !== expected.output) {
            assert.fail(
              `${name} differs from python3-jinja2 (- Jinja, + bootwright):\n${lineDiff(expected.output ?? '', actual)}`,
            );
          }
        } else {
          assert.notEqual(actual, expected.output, `${name} now matches Jinja: take it off knownDifferences`);
        }
      });
    }
  }

  // Where Jinja fails, Cobbler serves a kickstart that is one comment line ("# EXCEPTION OCCURRED DURING JINJA2
  // TEMPLATE PROCESSING") and the installer goes on without it; bootwright refuses with the file and line instead.
  for (const template of failing) {
    it(`errors/${template} fails in Jinja and in bootwright, which names the file and line`, () => {
      const expected = reference[`errors/${template}`];
      assert.ok(expected?.error, `python3-jinja2 rendered errors/${template}, which should fail`);
      const file = renderer.library.template(`errors/${template}`);
      const own = structuredClone(variables.get('vm9') ?? {});
      assert.throws(() => renderer.renderFile(file, own, { kind: 'system', name: 'vm9' }, {}), {
        code: 'E_TEMPLATE',
        message: new RegExp(`^System "vm9": errors/${template.replaceAll('.', '\\.')}:\\d+: \\S`),
      });
    });
  }
});

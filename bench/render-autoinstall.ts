// Renders per second of the built-in kickstart (default.ks with its snippets) for 10,000 systems in the store,
// beside real Cheetah 3 (python3-cheetah) rendering the same template for the same systems in the same run.
// Run: node --import tsx bench/render-autoinstall.ts [--seconds=5]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inventory } from '../src/inventory/inventory.js';
import type { InventoryObject } from '../src/model/kinds.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { builtinLibraryDir, TemplateLibrary } from '../src/templates/library.js';
import { AutoinstallRenderer } from '../src/templates/render.js';
import { recordResults } from './results.js';

const systemCount = 10_000;
const seconds = Number(/--seconds=(\d+(?:\.\d+)?)/.exec(process.argv.join(' '))?.[1] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'bootwright-bench-'));

function log(line: string) {
  process.stdout.write(`${line}\n`);
}

try {
  const store = SqliteStore.open(join(dir, 'store.sqlite'));
  const inventory = new Inventory(store);
  await inventory.setSetting('server', '192.0.2.1');
  await inventory.add('distro', {
    name: 'rhel9',
    kernel: '/srv/rhel9/vmlinuz',
    initrd: '/srv/rhel9/initrd.img',
    os_version: 'rhel9',
    autoinstall_meta: 'tree=http://@@http_server@@/cblr/links/rhel9',
  });
  await inventory.add('profile', {
    name: 'rhel9-base',
    distro: 'rhel9',
    autoinstall: 'default.ks',
    kernel_options: 'quiet',
  });
  await inventory.add('system', {
    name: 'template',
    profile: 'rhel9-base',
    hostname: 'node0',
    interfaces: {
      eth0: {
        mac_address: '52:54:00:00:00:01',
        ip_address: '192.0.2.10',
        netmask: '24',
        static: true,
        if_gateway: '192.0.2.1',
      },
      eth1: { mac_address: '52:54:00:00:01:01' },
    },
  });
  log(`adding ${systemCount} systems`);
  const template = (await store.get('system', 'template')) as InventoryObject;
  await store.transaction(async (tx) => {
    for (let i = 0; i < systemCount; i++) {
      const eth0 = { ...(template.interfaces?.eth0 as NonNullable<InventoryObject['interfaces']>[string]) };
      eth0.mac_address = `52:54:01:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
      eth0.ip_address = `198.51.100.${i % 250}`;
      const eth1 = {
        ...(template.interfaces?.eth1 as typeof eth0),
        mac_address: eth0.mac_address.replace('52:54:01', '52:54:02'),
      };
      await tx.put({
        ...template,
        name: `node${i}`,
        uid: `bench${i}`,
        fields: { ...template.fields, hostname: `node${i}` },
        interfaces: { eth0, eth1 },
      });
    }
  });
  const renderer = new AutoinstallRenderer(inventory, new TemplateLibrary(dir));

  // bootwright, from the store: blend the system, compute its variables, render — what each HTTP request does.
  let rendered = 0;
  let lines = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const result = await renderer.autoinstall({ kind: 'system', name: `node${rendered % systemCount}` });
    if (rendered === 0) lines = result.text.split('\n').length - 1;
    rendered++;
  }
  const ours = rendered / ((performance.now() - start) / 1000);

  // The peer gets the variables ready-made: it measures only Cheetah, which favours the peer.
  const sample = [];
  for (let i = 0; i < 200; i++) sample.push(await renderer.variables({ kind: 'system', name: `node${i}` }));
  const variablesPath = join(dir, 'variables.json');
  writeFileSync(variablesPath, JSON.stringify(sample));
  log('rendering the same kickstart with python3-cheetah');
  const peer = JSON.parse(
    execFileSync(
      '/usr/bin/python3',
      [
        join(import.meta.dirname, 'cheetah-peer.py'),
        builtinLibraryDir,
        'default.ks',
        variablesPath,
        String(seconds),
      ],
      {
        encoding: 'utf8',
      },
    ),
  ) as { compile_each: number; compile_once: number; lines: number };
  await store.close();

  const rows = [
    {
      figure: `default.ks (${lines} lines) renders/s from a store of ${systemCount} systems vs Cheetah compiling per request`,
      bootwright: ours,
      peer: peer.compile_each,
      peerName: 'python3-cheetah (compile each)',
    },
    {
      figure: `default.ks renders/s vs Cheetah with the template compiled once`,
      bootwright: ours,
      peer: peer.compile_once,
      peerName: 'python3-cheetah (compiled once)',
    },
  ];
  for (const row of rows)
    log(
      `${row.figure}: bootwright ${row.bootwright.toFixed(0)}, ${row.peerName} ${row.peer.toFixed(0)}, ratio ${(row.bootwright / row.peer).toFixed(2)}x`,
    );
  recordResults('render-autoinstall', rows, { cpus: cpus().length });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredEvent } from '../store/store.js';
import {
  describeEvent,
  formatStatusTable,
  formatTimeline,
  installStatus,
  latestInstallCycle,
} from './install-status.js';

let id = 0;
const at = (seconds: number, type: string, extra: Partial<StoredEvent> = {}): StoredEvent => ({
  id: ++id,
  time: Date.UTC(2026, 10, 25, 12, 0, 0) + seconds * 1000,
  type,
  system: 'vm9',
  detail: {},
  ...extra,
});

const install = [
  at(0, 'dhcp.discover', { detail: { clientArch: 0 } }),
  at(1, 'dhcp.ack', { detail: { address: '192.0.2.100', bootFile: 'pxelinux.0' } }),
  at(2, 'tftp.sent', { detail: { path: 'pxelinux.0', bytes: 42 } }),
  at(3, 'tftp.sent', { detail: { path: 'pxelinux.cfg/01-52-54-00-00-00-09', bytes: 300 } }),
  at(30, 'http.autoinstall', { detail: { status: 200 } }),
  at(45, 'install.pre', { source: '192.0.2.100' }),
  at(645, 'http.nopxe'),
  at(646, 'install.post', { source: '192.0.2.100' }),
];

describe('install status', () => {
  it("prints the machine's steps in order with the time each took", () => {
    assert.equal(
      formatTimeline(install),
      `12:00:00             DHCP discover (client arch 0)
12:00:01      +1.0s  DHCP ack 192.0.2.100, boot file pxelinux.0
12:00:02      +1.0s  TFTP sent pxelinux.0 (42 bytes)
12:00:03      +1.0s  TFTP sent pxelinux.cfg/01-52-54-00-00-00-09 (300 bytes)
12:00:30     +27.0s  autoinstall file fetched
12:00:45     +15.0s  install started
12:10:45    +10m 0s  netboot turned off
12:10:46      +1.0s  install finished
`,
    );
  });

  it('shows finished, installing and stalled machines like cobbler status', () => {
    const start = install[5] as StoredEvent;
    const finished = installStatus(install, start.time + 3_600_000, 100);
    assert.deepEqual(
      finished.map((row) => [row.ip, row.target, row.state]),
      [['192.0.2.100', 'system:vm9', 'finished']],
    );
    const running = installStatus(install.slice(0, 6), start.time + 125_000, 100);
    assert.equal(running[0]?.state, 'installing (2m 5s)');
    const stalled = installStatus(install.slice(0, 6), start.time + 101 * 60_000, 100);
    assert.match(stalled[0]?.state ?? '', /^stalled/);
    assert.match(
      formatStatusTable(finished),
      /^ip {10}\| target {5}\| start {15}\| state\n192\.0\.2\.100 \| system:vm9 \| 2026-11-25 12:00:45 \| finished\n$/,
    );
  });

  it('picks the latest install from the network boot that led to it', () => {
    const earlier = [at(-900, 'dhcp.discover'), at(-800, 'install.pre'), at(-700, 'install.post')];
    const cycle = latestInstallCycle([...earlier, ...install]);
    assert.equal(cycle[0]?.type, 'dhcp.discover');
    assert.equal(cycle.length, install.length);
  });
});

describe('mirror events in words', () => {
  const event = (type: string, detail: Record<string, unknown>): StoredEvent => ({
    id: 1,
    time: 0,
    type,
    detail,
  });

  it('says which repo a reposync step was about, and what it came to', () => {
    assert.equal(
      describeEvent(event('reposync.done', { repo: 'epel', files: 12, bytes: 4096, seconds: 1.25 })),
      'repo epel synced: 12 files, 4096 bytes in 1.3 s',
    );
    assert.equal(
      describeEvent(event('reposync.failed', { repo: 'epel', error: 'Packages/a.rpm: checksum mismatch' })),
      'reposync of repo epel failed: Packages/a.rpm: checksum mismatch',
    );
    assert.equal(
      describeEvent(event('http.repo', { path: '/cobbler/repo_mirror/epel/repodata/repomd.xml' })),
      'downloaded /cobbler/repo_mirror/epel/repodata/repomd.xml',
    );
    assert.equal(
      describeEvent(event('mirror.removed', { repo: 'epel', bytes: 4096 })),
      'mirror of repo epel removed, 4096 bytes freed',
    );
  });
});

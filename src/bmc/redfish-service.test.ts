// The Redfish service's answers to what clients get wrong or are not allowed, over machines held in memory. What
// real clients do with it (fence_redfish, sushy, a real libvirtd) is test/interop/redfish-bmc.test.ts.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.js';
import { hashPassword } from '../auth/password.js';
import { UsersFile } from '../store/users-file.js';
import type { BootOverride, MachineInfo, Machines, ResetType } from './machines.js';
import { RedfishService } from './redfish-service.js';

class MemoryMachines implements Machines {
  readonly resets: [string, ResetType][] = [];
  private override: BootOverride = { target: 'None', enabled: 'Disabled' };
  async ids(): Promise<string[]> {
    return ['vm1'];
  }
  async info(id: string): Promise<MachineInfo | undefined> {
    return id === 'vm1'
      ? {
          id,
          uuid: '9f0c6d0e-0000-4000-8000-000000000001',
          power: 'Off',
          memoryMib: 512,
          cpus: 1,
          bootDevice: 'hd',
        }
      : undefined;
  }
  async reset(id: string, type: ResetType): Promise<void> {
    this.resets.push([id, type]);
  }
  bootOverride(): BootOverride {
    return this.override;
  }
  setBootOverride(_id: string, override: BootOverride): void {
    this.override = override;
  }
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function service(t: TestContext) {
  const file = join(tempDir(t, 'bootwright-bmc-users-'), 'users');
  writeFileSync(
    file,
    `admin:${await hashPassword('secret')}\nviewer:${await hashPassword('look')}:readonly\n`,
  );
  const lines: string[] = [];
  const machines = new MemoryMachines();
  return {
    machines,
    lines,
    redfish: new RedfishService(machines, new UsersFile(file), (line) => lines.push(line)),
  };
}

function messageOf(body: unknown): string {
  return (body as { error: { message: string } }).error.message;
}

describe('RedfishService', () => {
  it('shows the service root to anyone and asks for credentials for the rest', async (t) => {
    const { redfish } = await service(t);
    const rootAnswer = await redfish.handle({ method: 'GET', path: '/redfish/v1/' });
    assert.equal(rootAnswer.status, 200);
    assert.deepEqual((rootAnswer.body as { Systems: unknown }).Systems, {
      '@odata.id': '/redfish/v1/Systems',
    });
    const refused = await redfish.handle({ method: 'GET', path: '/redfish/v1/Systems' });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers?.['WWW-Authenticate'], 'Basic realm="bootwright bmc"');
    const wrong = await redfish.handle({
      method: 'GET',
      path: '/redfish/v1/Systems',
      authorization: basic('admin', 'nope'),
    });
    assert.equal(wrong.status, 401);
  });

  it('logs in a session whose token then works, until it is deleted', async (t) => {
    const { redfish } = await service(t);
    const login = await redfish.handle({
      method: 'POST',
      path: '/redfish/v1/SessionService/Sessions',
      body: { UserName: 'admin', Password: 'secret' },
    });
    assert.equal(login.status, 201);
    const token = login.headers?.['X-Auth-Token'] as string;
    const location = login.headers?.Location as string;
    const listed = await redfish.handle({ method: 'GET', path: '/redfish/v1/Systems', authToken: token });
    assert.deepEqual((listed.body as { Members: unknown }).Members, [
      { '@odata.id': '/redfish/v1/Systems/vm1' },
    ]);
    assert.equal((await redfish.handle({ method: 'DELETE', path: location, authToken: token })).status, 204);
    assert.equal(
      (await redfish.handle({ method: 'GET', path: '/redfish/v1/Systems', authToken: token })).status,
      401,
    );
  });

  it('refuses changes by a read-only user, and a reset type it does not know, naming the ones it takes', async (t) => {
    const { redfish, machines, lines } = await service(t);
    const resetPath = '/redfish/v1/Systems/vm1/Actions/ComputerSystem.Reset';
    const viewer = await redfish.handle({
      method: 'POST',
      path: resetPath,
      authorization: basic('viewer', 'look'),
      body: { ResetType: 'On' },
    });
    assert.equal(viewer.status, 403);
    assert.match(messageOf(viewer.body), /^User viewer may only read; ask for an admin user\.$/);
    const bad = await redfish.handle({
      method: 'POST',
      path: resetPath,
      authorization: basic('admin', 'secret'),
      body: { ResetType: 'Explode' },
    });
    assert.equal(bad.status, 400);
    assert.match(
      messageOf(bad.body),
      /^ResetType "Explode" is not one this BMC takes; give one of On, ForceOff, /,
    );
    const done = await redfish.handle({
      method: 'POST',
      path: resetPath,
      authorization: basic('admin', 'secret'),
      body: { ResetType: 'ForceOff' },
    });
    assert.equal(done.status, 204);
    assert.deepEqual(machines.resets, [['vm1', 'ForceOff']]);
    assert.match(lines.join('\n'), /^admin: ForceOff vm1 \(\d+ ms\)$/m);
    assert.doesNotMatch(lines.join('\n'), /secret/);
  });

  it('keeps a boot override and names the values it takes when given another', async (t) => {
    const { redfish } = await service(t);
    const auth = basic('admin', 'secret');
    const set = await redfish.handle({
      method: 'PATCH',
      path: '/redfish/v1/Systems/vm1',
      authorization: auth,
      body: { Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' } },
    });
    assert.equal(set.status, 204);
    const system = await redfish.handle({
      method: 'GET',
      path: '/redfish/v1/Systems/vm1',
      authorization: auth,
    });
    const boot = (system.body as { Boot: Record<string, unknown> }).Boot;
    assert.equal(boot.BootSourceOverrideTarget, 'Pxe');
    assert.equal(boot.BootSourceOverrideEnabled, 'Once');
    const bad = await redfish.handle({
      method: 'PATCH',
      path: '/redfish/v1/Systems/vm1',
      authorization: auth,
      body: { Boot: { BootSourceOverrideTarget: 'Floppy' } },
    });
    assert.equal(bad.status, 400);
    assert.equal(
      messageOf(bad.body),
      'BootSourceOverrideTarget "Floppy" is not one this BMC takes; give one of None, Pxe, Hdd, Cd.',
    );
    const missing = await redfish.handle({
      method: 'GET',
      path: '/redfish/v1/Systems/vm404',
      authorization: auth,
    });
    assert.equal(missing.status, 404);
  });
});

// Power actions on systems, as every edge asks for them (CLI, REST, XML-RPC): the system's blended power_* fields
// pick the driver, the action runs under its deadline, and the machine's timeline gets one event saying who asked,
// which driver, how long it took and what the BMC said (never the password). Many systems at once run side by
// side: a driver waits on a socket or a child process, never on the event loop.

import { BootwrightError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import type { Inventory } from '../inventory/inventory.js';
import {
  type NextBoot,
  type PowerAction,
  type PowerOutcome,
  type PowerTarget,
  parsePowerOptions,
} from './contract.js';
import { powerDriverFor } from './registry.js';

export interface PowerResult {
  system: string;
  action: PowerAction | 'reinstall';
  driver: string;
  ok: boolean;
  state?: 'on' | 'off';
  /** What the BMC said, or why it failed: one sentence, without the password. */
  message: string;
  ms: number;
}

const defaultTimeoutMs = 30_000;

export class PowerControl {
  constructor(
    private readonly inventory: Inventory,
    private readonly events: EventBus,
  ) {}

  async target(system: string): Promise<PowerTarget> {
    const view = await this.inventory.blended('system', system);
    const text = (key: string) => {
      const value = view[key];
      return value === undefined || value === null ? '' : String(value);
    };
    return {
      system,
      type: text('power_type'),
      address: text('power_address'),
      user: text('power_user'),
      password: text('power_pass'),
      id: text('power_id'),
      options: parsePowerOptions(text('power_options')),
      identityFile: text('power_identity_file'),
    };
  }

  /**
   * Runs one action; a driver's or BMC's failure is a result (ok: false) with its sentence, so that one system never
   * stops others. A system that does not exist throws.
   */
  async act(system: string, action: PowerAction, who: string): Promise<PowerResult> {
    return this.timed(system, action, who, async (target, signal, driverName) => {
      const driver = powerDriverFor(system, target.type);
      driverName(driver.name);
      return driver.run(action, target, signal);
    });
  }

  /**
   * Reinstalls: netboot on, the next boot from the network where the driver can say so, then a reboot (or a
   * power-on when the machine is off). The installer turns netboot off at its end, as after any install.
   */
  async reinstall(system: string, who: string): Promise<PowerResult> {
    return this.timed(system, 'reinstall', who, async (target, signal, driverName) => {
      const driver = powerDriverFor(system, target.type);
      driverName(driver.name);
      await this.inventory.edit('system', system, { netboot_enabled: true });
      const said: string[] = ['netboot on'];
      if (driver.setNextBoot)
        said.push((await driver.setNextBoot('pxe' satisfies NextBoot, target, signal)).said);
      const state = await driver.run('status', target, signal);
      const power = await driver.run(state.state === 'off' ? 'on' : 'reboot', target, signal);
      said.push(power.said);
      return { state: 'on', said: said.join('; ') };
    });
  }

  private async timed(
    system: string,
    action: PowerResult['action'],
    who: string,
    work: (
      target: PowerTarget,
      signal: AbortSignal,
      driverName: (name: string) => void,
    ) => Promise<PowerOutcome>,
  ): Promise<PowerResult> {
    const started = performance.now();
    let driver = '';
    let result: PowerResult;
    // A system that does not exist is the caller's mistake, thrown as such (404), not a BMC's failure.
    const target = await this.target(system);
    const { password } = target;
    try {
      const timeoutMs =
        Number(target.options.timeout) > 0 ? Number(target.options.timeout) * 1000 : defaultTimeoutMs;
      const outcome = await work(target, AbortSignal.timeout(timeoutMs), (name) => (driver = name));
      result = {
        system,
        action,
        driver,
        ok: true,
        ...(outcome.state ? { state: outcome.state } : {}),
        message: outcome.said,
        ms: Math.round(performance.now() - started),
      };
    } catch (error) {
      const message =
        error instanceof BootwrightError ? error.message : `System ${system}: ${(error as Error).message}`;
      result = { system, action, driver, ok: false, message, ms: Math.round(performance.now() - started) };
    }
    // Whatever a tool echoed, the password does not reach the timeline or the caller.
    if (password !== '') result.message = result.message.replaceAll(password, '********');
    this.events.publish({
      type: `power.${action}`,
      system,
      detail: {
        who,
        driver: result.driver,
        ok: result.ok,
        ms: result.ms,
        said: result.message,
        ...(result.state ? { state: result.state } : {}),
      },
    });
    return result;
  }
}

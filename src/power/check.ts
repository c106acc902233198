// What `check` says of power settings that cannot work. Only systems that ask for power management are looked at
// (a power type of their own, an address or an id): every system inherits a default type, and a system with none
// of these set is simply not power-managed. Read from the stored fields, not blended views, so that a store of a
// million systems is one pass; systems with the same problem make one finding.

import { onPath } from '../config/on-path.js';
import type { Inventory } from '../inventory/inventory.js';
import { driverNameOf, driverTools, powerProblem } from './registry.js';

export interface PowerFinding {
  problem: string;
  fix: string;
}

const INHERIT = '<<inherit>>';
const shownNames = 5;

function namesOf(systems: string[]): string {
  const more = systems.length > shownNames ? ` and ${systems.length - shownNames} more` : '';
  return `${systems.length === 1 ? 'system' : `${systems.length} systems`} ${systems.slice(0, shownNames).join(', ')}${more}`;
}

export async function powerFindings(inventory: Inventory): Promise<PowerFinding[]> {
  const defaultType = String((await inventory.settings()).power_management_default_type ?? '');
  const byProblem = new Map<string, { fix: string; systems: string[] }>();
  const byDriver = new Map<string, string[]>();
  for (const system of await inventory.list('system')) {
    const field = (key: string) => String(system.fields[key] ?? '');
    const ownType = field('power_type') === INHERIT ? '' : field('power_type');
    if (ownType === '' && field('power_address') === '' && field('power_id') === '') continue;
    const type = ownType || defaultType;
    const found = powerProblem(type, field('power_address'));
    if (found) {
      const entry = byProblem.get(found.problem) ?? { fix: found.fix, systems: [] };
      entry.systems.push(system.name);
      byProblem.set(found.problem, entry);
    }
    const driver = driverNameOf(type);
    byDriver.set(driver, [...(byDriver.get(driver) ?? []), system.name]);
  }
  const findings: PowerFinding[] = [];
  for (const [problem, { fix, systems }] of byProblem) {
    findings.push({ problem: `Power control of ${namesOf(systems)} cannot work: ${problem}.`, fix });
  }
  for (const [driver, systems] of byDriver) {
    const needs = driverTools[driver];
    if (needs && !onPath(needs.tool)) {
      findings.push({
        problem: `Power control of ${namesOf(systems)} runs ${needs.tool}, which is not installed.`,
        fix: `apt-get install ${needs.debianPackage}`,
      });
    }
  }
  return findings;
}

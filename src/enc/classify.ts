// What puppet's external node classifier answers for one host: the classes, parameters and environment that its
// system (if bootwright knows one) and the role rules give it, and the trail of which rule matched and why.
//   - Rules are tried by priority, lower first, equal priorities by name. The first rule whose pattern matches
//     wins and matching stops, unless that rule says `merge`: then later matches add to it.
//   - Between rules, the earlier match keeps a parameter or environment that a later one also sets: priority is
//     precedence, whether rules merge or not.
//   - A known system's blended mgmt_classes come first and rule classes are added after them; its blended
//     mgmt_parameters (with autoinstall_meta, as in Cobbler) win over rule parameters, because what is set on a
//     system, its profile, distro or the settings was set for that machine on purpose.
//   - The environment is the system's status when it has one (Cobbler's rule), else the first matched rule's.
//   - A host bootwright has no system for still gets what the rules give: puppet asks about every node, and a
//     machine that matches `web*` is a web server before anyone registers it.

import { quote } from '../errors.js';
import type { BlendedView } from '../model/blend.js';
import { compileHostPattern, describeHostPattern } from '../model/host-pattern.js';
import type { InventoryObject } from '../model/kinds.js';

export interface RoleRule {
  name: string;
  pattern: string;
  priority: number;
  classes: string[];
  parameters: Record<string, unknown>;
  environment: string;
  merge: boolean;
}

/** The system a host name belongs to, and how it was found. */
export interface NodeSystem {
  name: string;
  via: 'dns_name' | 'hostname';
  view: BlendedView;
}

export type RuleOutcome = 'matched' | 'no-match' | 'not-tried';

export interface RuleVerdict {
  rule: string;
  priority: number;
  pattern: string;
  outcome: RuleOutcome;
  /** One phrase a person reads in `bootwright role test`. */
  why: string;
}

export interface Classification {
  fqdn: string;
  classes: string[];
  parameters: Record<string, unknown>;
  /** Absent when neither the system nor a matched rule names one: puppet then uses the agent's own. */
  environment?: string;
  system?: { name: string; via: NodeSystem['via'] };
  /** The rules that matched, in order, with why. */
  matched: RuleVerdict[];
  /** Every rule in the order tried, matched or not. */
  rules: RuleVerdict[];
}

export function roleRuleOf(object: InventoryObject): RoleRule {
  const { fields } = object;
  return {
    name: object.name,
    pattern: String(fields.pattern ?? ''),
    priority: Number(fields.priority ?? 100),
    classes: (fields.classes ?? []) as string[],
    parameters: (fields.parameters ?? {}) as Record<string, unknown>,
    environment: String(fields.environment ?? ''),
    merge: fields.merge === true,
  };
}

export function ruleOrder(a: RoleRule, b: RoleRule): number {
  return a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

function matchRule(rule: RoleRule, fqdn: string): { matched: boolean; why: string } {
  let pattern: ReturnType<typeof compileHostPattern>;
  try {
    pattern = compileHostPattern(rule.pattern, 'pattern');
  } catch (error) {
    // Patterns are checked when written; one that is broken anyway (an old store) must not fail every node.
    return { matched: false, why: `skipped: ${(error as Error).message}` };
  }
  const matched = pattern.matcher.test(fqdn);
  return { matched, why: `${describeHostPattern(pattern)} ${matched ? 'matches' : 'does not match'}` };
}

export function classify(fqdn: string, rules: readonly RoleRule[], system?: NodeSystem): Classification {
  const verdicts: RuleVerdict[] = [];
  const ruleClasses: string[] = [];
  const ruleParameters: Record<string, unknown> = {};
  let ruleEnvironment: string | undefined;
  let stoppedBy: string | undefined;
  for (const rule of [...rules].sort(ruleOrder)) {
    const base = { rule: rule.name, priority: rule.priority, pattern: rule.pattern };
    if (stoppedBy !== undefined) {
      verdicts.push({
        ...base,
        outcome: 'not-tried',
        why: `rule ${quote(stoppedBy)} matched first and does not merge`,
      });
      continue;
    }
    const { matched, why } = matchRule(rule, fqdn);
    if (!matched) {
      verdicts.push({ ...base, outcome: 'no-match', why });
      continue;
    }
    ruleClasses.push(...rule.classes);
    for (const [key, value] of Object.entries(rule.parameters)) {
      if (!(key in ruleParameters)) ruleParameters[key] = value;
    }
    if (ruleEnvironment === undefined && rule.environment) ruleEnvironment = rule.environment;
    if (!rule.merge) stoppedBy = rule.name;
    verdicts.push({
      ...base,
      outcome: 'matched',
      why: `${why}; ${rule.merge ? 'merge: later rules may add to it' : 'first match without merge: matching stops'}`,
    });
  }

  const view = system?.view ?? {};
  const systemClasses = (view.mgmt_classes ?? []) as string[];
  const systemParameters = (view.mgmt_parameters ?? {}) as Record<string, unknown>;
  const status = typeof view.status === 'string' ? view.status : '';
  const environment = status || ruleEnvironment;
  return {
    fqdn,
    classes: [...new Set([...systemClasses, ...ruleClasses])],
    parameters: { ...ruleParameters, ...systemParameters },
    ...(environment ? { environment } : {}),
    ...(system ? { system: { name: system.name, via: system.via } } : {}),
    matched: verdicts.filter((verdict) => verdict.outcome === 'matched'),
    rules: verdicts,
  };
}

// The document puppet's exec node terminus reads from an external node classifier: `classes`, `parameters` and,
// when known, `environment` (puppet.com "External node classifiers"). Puppet parses it with Ruby's Psych, which
// speaks YAML 1.1, so it is written as YAML 1.1: a parameter "yes", "on" or "0123" stays a string there.

import { stringify } from 'yaml';
import type { Classification } from './classify.js';

function sortedKeys(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(values)
      .sort()
      .map((key) => [key, values[key]]),
  );
}

export function renderEncYaml(classification: Classification): string {
  const document: Record<string, unknown> = {
    classes: classification.classes,
    parameters: sortedKeys(classification.parameters),
  };
  if (classification.environment) document.environment = classification.environment;
  return stringify(document, { version: '1.1' });
}

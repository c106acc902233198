// `bootwright setting report|edit|reset`: settings through the inventory backend, so they work with --server too.

import type { InventoryBackend } from '../inventory/backend.js';
import { findSetting, type Settings } from '../model/settings.js';
import { formatJson, formatSettings } from './format.js';
import { type Invocation, optionValue, requireOption } from './invocation.js';

function pick(settings: Settings, name: string | undefined): Settings {
  if (name === undefined) return settings;
  const { name: canonical } = findSetting(name);
  return { [canonical]: settings[canonical] ?? null };
}

export async function runSettingCommand(
  action: string,
  invocation: Invocation,
  backend: InventoryBackend,
): Promise<void> {
  const print = (settings: Settings) =>
    invocation.io.stdout.write(
      invocation.format === 'json' ? formatJson(settings) : formatSettings(settings),
    );
  if (action === 'report') {
    const name = optionValue(invocation, 'name');
    // Checked before the backend is asked, so a misspelled name gets the same answer locally and remotely.
    if (name !== undefined) findSetting(name);
    print(pick(await backend.settings(), name));
    return;
  }
  const name = requireOption(invocation, 'name');
  const settings =
    action === 'edit'
      ? // An empty value is a value: `--value=` clears a text setting such as proxy_url_int.
        await backend.setSetting(name, optionValue(invocation, 'value') ?? requireOption(invocation, 'value'))
      : await backend.resetSetting(name);
  if (invocation.format === 'json') print(pick(settings, name));
}

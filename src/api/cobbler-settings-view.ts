// get_settings as Cobbler 3.3 answers it: every key of Cobbler's settings (scripts and the web UI read
// `manage_dhcp`, `next_server_v4`, `xmlrpc_port`... and fail on a missing key), with bootwright's own value wherever
// it has one of that name or one that means the same, and Cobbler's default for the rest.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Settings } from '../model/settings.js';

const cobblerSettingsFile = fileURLToPath(new URL('../../data/cobbler-3.3-settings.json', import.meta.url));

let cobblerDefaults: Record<string, unknown> | undefined;

function cobblerSettingDefaults(): Record<string, unknown> {
  cobblerDefaults ??= (JSON.parse(readFileSync(cobblerSettingsFile, 'utf8')) as { settings: object })
    .settings as Record<string, unknown>;
  return cobblerDefaults;
}

/** Cobbler keys whose value bootwright holds under another name or derives from its own settings. */
function derivedSettings(settings: Settings): Record<string, unknown> {
  const dhcpServed = settings.dhcp_mode !== undefined && settings.dhcp_mode !== 'off';
  return {
    // bootwright answers DHCP itself instead of writing dhcpd.conf; "managed" is the nearest meaning.
    manage_dhcp: dhcpServed,
    manage_dhcp_v4: dhcpServed,
    manage_dhcp_v6: false,
    // TFTP is served by bootwright itself unless its port is 0.
    manage_tftpd: settings.tftp_port !== 0,
    next_server_v4: settings.next_server,
    xmlrpc_port: settings.http_port,
    // Settings are changed at run time through modify_setting and `setting edit`, always.
    allow_dynamic_settings: true,
  };
}

/** The settings a Cobbler client sees: Cobbler's keys, bootwright's values over them, bootwright's own keys too. */
export function cobblerSettingsView(settings: Settings): Record<string, unknown> {
  return { ...cobblerSettingDefaults(), ...derivedSettings(settings), ...settings };
}

/** The names of Cobbler 3.3's settings, for tests and the README. */
export function cobblerSettingNames(): string[] {
  return Object.keys(cobblerSettingDefaults());
}

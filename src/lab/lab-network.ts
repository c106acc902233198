// The install network every lab and every guest test uses: 192.0.2.0/24 (RFC 5737, documentation only) inside a
// network namespace, with bootwright as its only DHCP server. One list, so that the lab and the tests that stand
// for it configure the same network.

/** The `bootwright setting edit` lines for a server at `address` that hands out 192.0.2.100-150 in full mode. */
export function installNetworkSettings(address: string): string[][] {
  return [
    ['setting', 'edit', '--name=server', `--value=${address}`],
    ['setting', 'edit', '--name=next_server', `--value=${address}`],
    ['setting', 'edit', '--name=dhcp_mode', '--value=full'],
    ['setting', 'edit', '--name=dhcp_subnet', '--value=192.0.2.0/24'],
    ['setting', 'edit', '--name=dhcp_range_start', '--value=192.0.2.100'],
    ['setting', 'edit', '--name=dhcp_range_end', '--value=192.0.2.150'],
  ];
}

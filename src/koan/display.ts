// `koan --list` and `koan --display` print what Koan prints (its app.py): names one per line, and for --display
// the DISPLAY_PARAMS the server sent, each as `%20s  : %s` with Python's str() of the value, after Koan's own
// additions (the autoinstall URL, the install tree, kernel and initrd from the tree, the full kernel command line).

const displayParams = [
  'name',
  'distro',
  'profile',
  'autoinst',
  'autoinstall_meta',
  'install_tree',
  'kernel',
  'initrd',
  'netboot_enabled',
  'kernel_options',
  'repos',
  'virt_ram',
  'virt_disk',
  'virt_disk_driver',
  'virt_type',
  'virt_path',
  'virt_auto_boot',
  'virt_pxe_boot',
];

function pythonString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text
    .replaceAll('\\', '\\\\')
    .replaceAll('\n', '\\n')
    .replaceAll('\t', '\\t')
    .replaceAll(quote, `\\${quote}`);
  return `${quote}${escaped}${quote}`;
}

/** Python's repr(), for values inside containers. */
function pythonRepr(value: unknown): string {
  if (typeof value === 'string') return pythonString(value);
  return pythonStr(value);
}

/** Python's str() of what xmlrpc.client decodes: True/False, ints, floats, lists, dicts. */
export function pythonStr(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(value);
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return `{${entries.map(([key, item]) => `${pythonString(key)}: ${pythonRepr(item)}`).join(', ')}}`;
  }
  return String(value);
}

/** `get_X()` answered a list of objects: each name on its own line; a struct means "none of those". */
export function formatList(answer: unknown): string {
  if (!Array.isArray(answer)) return 'No entry/entries found\n';
  return answer
    .filter(
      (item): item is Record<string, unknown> => typeof item === 'object' && item !== null && 'name' in item,
    )
    .map((item) => `${String(item.name)}\n`)
    .join('');
}

export function formatDisplay(data: Record<string, unknown>): string {
  return displayParams
    .filter((key) => key in data)
    .map((key) => `${key.padStart(20)}  : ${pythonStr(data[key])}\n`)
    .join('');
}

// How a netbooting machine reads each answer to find its next step, as iPXE and an installer read them: the boot
// file's iPXE script names the kernel and the initrd; the kernel command line names the kickstart; the kickstart's
// %post section names the nopxe call. Shared by the boot storm's simulated machines and by the step that fetches the
// peer's pre-rendered files, so that both sides are read the same way.

export interface IpxeBoot {
  kernel: string;
  initrd: string;
  /** The kernel command line, word by word, after the kernel's URL. */
  args: string[];
}

/** The `kernel` and `initrd` lines of an iPXE script; throws, quoting the script, when either is missing. */
export function parseIpxeScript(script: string): IpxeBoot {
  const lines = script.split('\n').map((line) => line.trim());
  if (lines[0] !== '#!ipxe') throw new Error(`not an iPXE script (no #!ipxe line): ${quoteStart(script)}`);
  let kernel: string[] | undefined;
  let initrd: string | undefined;
  for (const line of lines) {
    const words = line.split(/\s+/);
    // iPXE's own names for the two commands, and their long forms.
    if ((words[0] === 'kernel' || words[0] === 'imgexec' || words[0] === 'chain') && words[1])
      kernel = words.slice(1);
    if ((words[0] === 'initrd' || words[0] === 'imgfetch') && words[1]) initrd = words[1];
  }
  if (!kernel?.[0] || !initrd)
    throw new Error(`iPXE script names no kernel and initrd: ${quoteStart(script)}`);
  return { kernel: kernel[0], initrd, args: kernel.slice(1) };
}

/** The kickstart an installer fetches: inst.ks= (Anaconda's name) or ks= on the kernel command line. */
export function kickstartUrl(args: readonly string[]): string {
  const found = args.find((arg) => arg.startsWith('inst.ks=')) ?? args.find((arg) => arg.startsWith('ks='));
  if (!found) throw new Error(`kernel command line names no kickstart (ks= or inst.ks=): ${args.join(' ')}`);
  return found.slice(found.indexOf('=') + 1);
}

/**
 * The nopxe URL a kickstart's %post section calls (curl or wget, as the autoinstall_done snippet writes it), the
 * way the installer would run it: only inside %post ... %end.
 */
export function nopxeUrl(kickstart: string): string {
  let inPost = false;
  for (const line of kickstart.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('%post')) inPost = true;
    else if (trimmed === '%end') inPost = false;
    else if (inPost && /^(curl|wget)\b/.test(trimmed)) {
      const url = /https?:\/\/[^\s"']+/.exec(trimmed)?.[0];
      if (url?.includes('/nopxe/')) return url;
    }
  }
  throw new Error(`kickstart's %post section calls no nopxe URL: ${quoteStart(kickstart)}`);
}

function quoteStart(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}...` : text);
}

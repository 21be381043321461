import { NvprobeError } from '../../errors.js';

// Values end up in root-owned files that other programs parse: GRUB's defaults file is *sourced by
// a shell*, udev and modprobe split on blanks and quotes, the kernel on blanks. So every name and
// value is checked against a strict alphabet before it reaches any of them: no blanks, quotes,
// `$`, backticks, backslashes, globs, `#` or line breaks. Everything the rules may set fits.

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
const PARAM = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const VALUE = /^[A-Za-z0-9_.,:+\-/=@%]+$/;
const DISK = /^[A-Za-z0-9_][A-Za-z0-9_.:+-]*$/;

function refuse(what: string, text: string): never {
  throw new NvprobeError(`refusing to persist ${what} ${JSON.stringify(text)}: only letters, digits and _ . , : + - / = @ % are allowed`, {
    hint: 'the value comes from a rule; fix the rule (nvprobe rules validate) or report a bug',
  });
}

/** A module or module parameter name (`virtio_blk`, `poll_queues`). */
export function checkName(what: string, text: string): string {
  if (!NAME.test(text)) refuse(what, text);
  return text;
}

/** A kernel command-line parameter name, dotted for module parameters (`virtio_blk.poll_queues`). */
export function checkParam(text: string): string {
  if (!PARAM.test(text)) refuse('kernel parameter', text);
  return text;
}

export function checkValue(what: string, value: string | number): string {
  const text = String(value);
  if (!VALUE.test(text)) refuse(`${what} value`, text);
  return text;
}

/** A block device name as /sys/block lists it (no glob characters: it is a udev KERNEL match). */
export function checkDisk(text: string): string {
  if (!DISK.test(text)) refuse('disk name', text);
  return text;
}

/** True when an identifier read from sysfs can stand in a udev `ATTR{...}=="..."` match as is. */
export function isMatchableId(text: string | null): text is string {
  return text !== null && text.length > 0 && !text.startsWith('REDACTED-') && /^[A-Za-z0-9_.:+\-/@]+$/.test(text);
}

/** Byte-wise order, as kmod and the shell's glob in the C locale sort file names. */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

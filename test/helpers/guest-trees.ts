// Copies of the captured KVM tree edited into machines the test machines cannot be: a Xen HVM
// guest (e.g. an older EC2 instance type) and bare metal. Layouts as the kernel creates them
// (drivers/block/xen-blkfront.c, drivers/xen/xenbus); the caller removes the copy (removeTemp).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyFixture, KVM_FIXTURE } from './fixtures.js';
import { link, queueFiles, setRootMount, writeFiles } from './tree-edit.js';

const CPUIDLE = '/sys/devices/system/cpu/cpuidle';

/** Xen HVM guest: xvda (xen-blkfront under vbd-51712), clocksource xen, DMI "Xen", no KVM paravirt, so no cpuidle-haltpoll. */
export function xenGuestTree(o: { scheduler?: string } = {}): string {
  const dir = copyFixture(KVM_FIXTURE);
  const vbd = '/sys/devices/vbd-51712';
  const xvda = `${vbd}/block/xvda`;
  for (const p of ['sys/block/vda', 'sys/devices/pci0000:00/0000:00:02.0', 'sys/module/haltpoll', 'sys/module/cpuidle_haltpoll', 'sys/module/virtio_blk'])
    rmSync(join(dir, p), { recursive: true, force: true });
  writeFiles(dir, {
    '/sys/hypervisor/type': 'xen',
    '/sys/class/dmi/id/sys_vendor': 'Xen',
    '/sys/class/dmi/id/product_name': 'HVM domU',
    '/sys/class/dmi/id/bios_vendor': 'Xen',
    '/sys/devices/system/clocksource/clocksource0/current_clocksource': 'xen',
    '/sys/devices/system/clocksource/clocksource0/available_clocksource': 'xen tsc hpet acpi_pm ',
    [`${CPUIDLE}/current_driver`]: 'none',
    [`${CPUIDLE}/current_governor`]: 'menu',
    [`${CPUIDLE}/current_governor_ro`]: 'menu',
    [`${CPUIDLE}/available_governors`]: 'ladder menu teo ',
    [`${xvda}/dev`]: '202:0',
    [`${xvda}/size`]: 16777216,
    [`${xvda}/ro`]: 0,
    [`${xvda}/removable`]: 0,
    ...queueFiles(xvda, { scheduler: o.scheduler ?? '[none] mq-deadline', rotational: 0, ioPoll: 0, hwQueues: 1, cpuLists: ['0, 1'] }),
  });
  for (const cpu of [0, 1]) rmSync(join(dir, `sys/devices/system/cpu/cpu${cpu}/cpuidle`), { recursive: true, force: true });
  link(dir, `${vbd}/driver`, '/sys/bus/xen/drivers/vbd');
  link(dir, '/sys/bus/xen/devices/vbd-51712', vbd);
  for (const at of ['/sys/block/xvda', '/sys/class/block/xvda', '/sys/dev/block/202:0']) link(dir, at, xvda);
  setRootMount(dir, '202:0', '/dev/xvda');
  return dir;
}

/**
 * Bare metal: no `hypervisor` flag in /proc/cpuinfo, no kvm-clock, no DMI, cpuidle driver
 * acpi_idle with the menu governor, no haltpoll modules. The disk stays as captured.
 */
export function bareMetalTree(): string {
  const dir = copyFixture(KVM_FIXTURE);
  const cpuinfo = join(dir, 'proc/cpuinfo');
  writeFileSync(cpuinfo, readFileSync(cpuinfo, 'utf8').replace(/ hypervisor\b/g, ''));
  for (const p of ['sys/module/haltpoll', 'sys/module/cpuidle_haltpoll', 'sys/hypervisor']) rmSync(join(dir, p), { recursive: true, force: true });
  writeFiles(dir, {
    '/sys/devices/system/clocksource/clocksource0/current_clocksource': 'tsc',
    '/sys/devices/system/clocksource/clocksource0/available_clocksource': 'tsc hpet acpi_pm ',
    [`${CPUIDLE}/current_driver`]: 'acpi_idle',
    [`${CPUIDLE}/current_governor`]: 'menu',
    [`${CPUIDLE}/current_governor_ro`]: 'menu',
  });
  return dir;
}

/**
 * The captured KVM guest as it boots without `cpuidle_haltpoll.force=1` (driver none, governor
 * menu, no cpuidle/ under the CPUs), with the cpuidle-haltpoll driver built as the test asks:
 * a loadable module (listed in modules.dep; loaded: /sys/module/cpuidle_haltpoll/initstate live),
 * built in (modules.builtin), or absent (in neither). Layout as kmod's depmod writes them.
 */
export function haltpollDriverTree(o: { driver: 'module' | 'builtin' | 'absent'; loaded?: boolean }): string {
  const dir = copyFixture(KVM_FIXTURE);
  const cmdline = join(dir, 'proc/cmdline');
  writeFileSync(cmdline, readFileSync(cmdline, 'utf8').replace(/ cpuidle_haltpoll\.force=1/, ''));
  rmSync(join(dir, 'sys/module/cpuidle_haltpoll'), { recursive: true, force: true });
  for (const cpu of [0, 1]) rmSync(join(dir, `sys/devices/system/cpu/cpu${cpu}/cpuidle`), { recursive: true, force: true });
  writeFiles(dir, { [`${CPUIDLE}/current_driver`]: 'none', [`${CPUIDLE}/current_governor`]: 'menu', [`${CPUIDLE}/current_governor_ro`]: 'menu' });
  const release = readFileSync(join(dir, 'proc/sys/kernel/osrelease'), 'utf8').trim();
  const mods = `/lib/modules/${release}`;
  const ko = 'kernel/drivers/cpuidle/cpuidle-haltpoll.ko.xz';
  const builtin = ['kernel/drivers/block/virtio_blk.ko', ...(o.driver === 'builtin' ? [ko.replace('.xz', '')] : [])];
  const dep = ['kernel/drivers/nvme/host/nvme.ko.xz: kernel/drivers/nvme/host/nvme-core.ko.xz', 'kernel/drivers/nvme/host/nvme-core.ko.xz:', ...(o.driver === 'module' ? [`${ko}:`] : [])];
  writeFiles(dir, { [`${mods}/modules.builtin`]: builtin.join('\n'), [`${mods}/modules.dep`]: dep.join('\n') });
  if (o.driver === 'builtin') writeFiles(dir, { '/sys/module/cpuidle_haltpoll/parameters/force': 'N' });
  if (o.driver === 'module' && o.loaded)
    writeFiles(dir, { '/sys/module/cpuidle_haltpoll/initstate': 'live', '/sys/module/cpuidle_haltpoll/refcnt': 0, '/sys/module/cpuidle_haltpoll/parameters/force': 'Y' });
  return dir;
}

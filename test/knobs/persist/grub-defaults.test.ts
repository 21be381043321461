import { describe, expect, it } from 'vitest';
import { blockTokens, evaluateGrubCmdline, withBlock, withoutBlock } from '../../../src/knobs/persist/grub-defaults.js';

describe('GRUB defaults as grub-mkconfig sources them', () => {
  it('joins GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT across files, expanding the variables', () => {
    const r = evaluateGrubCmdline([
      { path: '/etc/default/grub', text: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX=""\n' },
      { path: '/etc/default/grub.d/10_cloud.cfg', text: 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX net.ifnames=0"\n' },
      { path: '/etc/default/grub.d/20.cfg', text: 'export GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} a=1" # trailing comment\n' },
    ]);
    expect(r).toEqual({ cmdline: ' net.ifnames=0 quiet a=1', uncertain: false, resetBy: '/etc/default/grub' });
  });

  it('names the file that assigns GRUB_CMDLINE_LINUX_DEFAULT outright (Ubuntu cloud images do)', () => {
    const r = evaluateGrubCmdline([
      { path: '/etc/default/grub', text: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\n' },
      { path: '/etc/default/grub.d/50-cloudimg-settings.cfg', text: 'GRUB_CMDLINE_LINUX_DEFAULT="console=tty1 console=ttyS0"\n' },
    ]);
    expect(r.cmdline).toBe(' console=tty1 console=ttyS0');
    expect(r.resetBy).toBe('/etc/default/grub.d/50-cloudimg-settings.cfg');
  });

  it('reads single quotes and bare words, and flags what it cannot evaluate', () => {
    expect(evaluateGrubCmdline([{ path: 'f', text: 'GRUB_CMDLINE_LINUX=\'a="1" b\'\nGRUB_CMDLINE_LINUX_DEFAULT=quiet\n' }]).cmdline).toBe('a="1" b quiet');
    expect(evaluateGrubCmdline([{ path: 'f', text: 'GRUB_CMDLINE_LINUX="$(cat /etc/extra)"\n' }]).uncertain).toBe(true);
    expect(evaluateGrubCmdline([{ path: 'f', text: 'GRUB_CMDLINE_LINUX="$EXTRA a=1"\n' }]).uncertain).toBe(true);
  });

  it("appends, rewrites and removes nvprobe's block without touching the rest", () => {
    const user = 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\n';
    const one = withBlock(user, ['a=1']);
    expect(one).toBe(
      'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\n' +
        '# BEGIN nvprobe (managed by nvprobe; `nvprobe revert` removes this block)\n' +
        'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT a=1"\n' +
        '# END nvprobe\n',
    );
    expect(blockTokens(one)).toEqual(['a=1']);
    // The user appended a line after the block: the block is rewritten where it is.
    const later = `${one}GRUB_TIMEOUT=2\n`;
    expect(withBlock(later, ['a=1', 'b=2'])).toBe(`${user}${withBlock('', ['a=1', 'b=2'])}GRUB_TIMEOUT=2\n`);
    expect(withoutBlock(later)).toBe(`${user}GRUB_TIMEOUT=2\n`);
    expect(withBlock(one, [])).toBe(user);
  });
});

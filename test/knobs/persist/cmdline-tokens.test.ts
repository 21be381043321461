import { describe, expect, it } from 'vitest';
import { addEntryToken, entryOptions, removeEntryToken } from '../../../src/knobs/persist/boot-entries.js';
import { allValues, appendToken, lastValue, removeToken } from '../../../src/knobs/persist/cmdline-tokens.js';

describe('command-line token edits', () => {
  const texts = [
    'root=UUID=3e8b5f21 ro rhgb quiet\n',
    'root=UUID=3e8b5f21 ro rhgb quiet',
    'root=/dev/vda1 ro  quiet \t\n',
    '',
    '\n',
    '  \n',
    'console=ttyS0 -- single',
    '-- init-arg',
    'rd.shell=0 dyndbg="file drivers/block/* +p" quiet\n',
  ];

  it('appends after the last kernel word, before `--`, and removal gives back every byte', () => {
    for (const t of texts) {
      const added = appendToken(t, 'nvme.poll_queues=1');
      expect(lastValue(added, 'nvme.poll_queues'), JSON.stringify(t)).toBe('1');
      expect(removeToken(added, 'nvme.poll_queues=1'), JSON.stringify(t)).toBe(t);
    }
    expect(appendToken('root=UUID=3e8b5f21 ro rhgb quiet\n', 'a=1')).toBe('root=UUID=3e8b5f21 ro rhgb quiet a=1\n');
    expect(appendToken('console=ttyS0 -- single', 'a=1')).toBe('console=ttyS0 a=1 -- single');
    expect(appendToken('-- init-arg', 'a=1')).toBe('a=1 -- init-arg');
    expect(appendToken('', 'a=1')).toBe('a=1');
    expect(appendToken('\n', 'a=1')).toBe('a=1\n');
  });

  it('reads values like the kernel: last wins, - and _ alike, quotes grouped, nothing after --', () => {
    const t = 'cpuidle-haltpoll.force=0 quiet dyndbg="a b" cpuidle_haltpoll.force=1 -- cpuidle_haltpoll.force=7';
    expect(lastValue(t, 'cpuidle_haltpoll.force')).toBe('1');
    expect(allValues(t, 'cpuidle_haltpoll.force')).toEqual(['0', '1']);
    expect(lastValue(t, 'quiet')).toBe(true);
    expect(lastValue(t, 'dyndbg')).toBe('a b');
    expect(lastValue(t, 'nvme.poll_queues')).toBeUndefined();
  });

  it('removes only the exact token, the last one, and says null when it is absent', () => {
    expect(removeToken('a=1 b=2 a=1', 'a=1')).toBe('a=1 b=2');
    expect(removeToken('a=10 b=2', 'a=1')).toBeNull();
    expect(removeToken('a=1 -- a=1', 'a=1')).toBe('-- a=1');
  });

  it('edits the last options line of a boot entry and leaves every other line alone', () => {
    const entry = 'title T\nlinux /vmlinuz-6.5\noptions root=UUID=x ro\noptions quiet\ngrub_class fedora\n';
    const added = addEntryToken(entry, 'a=1');
    expect(added).toBe('title T\nlinux /vmlinuz-6.5\noptions root=UUID=x ro\noptions quiet a=1\ngrub_class fedora\n');
    expect(entryOptions(added)).toBe('root=UUID=x ro quiet a=1');
    expect(removeEntryToken(added, 'a=1')).toBe(entry);

    const bare = 'title T\nlinux /vmlinuz-6.5\n';
    expect(addEntryToken(bare, 'a=1')).toBe('title T\nlinux /vmlinuz-6.5\noptions a=1\n');
    expect(removeEntryToken(addEntryToken(bare, 'a=1'), 'a=1')).toBe(bare);
  });

  it('expands $kernelopts of RHEL 8 entries from the GRUB environment block', () => {
    expect(entryOptions('options $kernelopts $tuned_params\n', { kernelopts: 'root=/dev/vda1 ro a=1' })).toBe('root=/dev/vda1 ro a=1 $tuned_params');
  });
});

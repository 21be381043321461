import { describe, expect, it } from 'vitest';
import { ENGINES, engineChoices, engineDescriptor, engineHelp, noHipriHelp } from '../../src/io/engines.js';

describe('engine descriptors', () => {
  it('offer exactly the choosable engines to --engine, after auto, in registry order', () => {
    expect(engineChoices()).toEqual(['auto', ...ENGINES.filter((e) => e.choosable).map((e) => e.name)]);
    expect(engineChoices()).toEqual(['auto', 'psync2', 'io_uring']);
  });

  it('say in --help what auto and each engine do, from the descriptors', () => {
    expect(engineHelp()).toBe('auto: io_uring with IOPOLL where the disk has poll queues, else psync2; psync2: preadv2; io_uring: IOPOLL where the disk polls, else interrupt completion');
    expect(noHipriHelp()).toBe('psync2 only: do not pass RWF_HIPRI to preadv2 (with --engine auto: use psync2)');
  });

  it('one descriptor per name, each with its fio equivalent', () => {
    expect(new Set(ENGINES.map((e) => e.name)).size).toBe(ENGINES.length);
    expect(engineDescriptor('psync2').fio).toEqual({ ioengine: 'pvsync2', pollOption: 'hipri' });
    expect(engineDescriptor('io_uring').fio).toEqual({ ioengine: 'io_uring', pollOption: 'hipri' });
  });

  it('only engines that poll by RWF_HIPRI take the hipri option', () => {
    for (const e of ENGINES) expect(e.options.includes('hipri')).toBe(e.polling === 'RWF_HIPRI');
  });

  it('opens through the descriptor: the null engine reads without a device', () => {
    const engine = engineDescriptor('null').open({ path: '', blockSize: 4096 }, { poll: false });
    expect(engine.name).toBe('null');
    engine.read(8192);
    expect(engine.data.readDoubleLE(0)).toBe(8192);
    engine.close();
  });
});

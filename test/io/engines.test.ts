import { describe, expect, it } from 'vitest';
import { ENGINE_CHOICES } from '../../src/contracts/probe-document.js';
import { ENGINES, engineDescriptor } from '../../src/io/engines.js';

describe('engine descriptors', () => {
  it('offer exactly the choosable engines to --engine, after auto, in registry order', () => {
    expect(ENGINE_CHOICES).toEqual(['auto', ...ENGINES.filter((e) => e.choosable).map((e) => e.name)]);
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

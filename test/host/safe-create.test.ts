import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode, NvprobeError } from '../../src/errors.js';
import { replaceFileAtomic, writeFileSafely } from '../../src/host/safe-create.js';
import { makeTemp, removeTemp } from '../helpers/fixtures.js';

const dir = makeTemp('nvprobe-safe-create-');
afterAll(() => removeTemp(dir));

function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('a new file takes its name only while the name is free', () => {
  it('a file that appeared after the existence check is refused (exit 2), not replaced, and no temp file is left', () => {
    // replaceFileAtomic itself does not look for an existing file: called with noReplace on one,
    // it meets exactly what a file created between writeFileSafely's check and the rename would be.
    const file = join(dir, 'report.html');
    writeFileSync(file, 'written by someone else\n');
    const err = thrown(() => replaceFileAtomic(file, 'nvprobe\n', 0o644, file, null, { noReplace: true, existsHint: 'use --force to replace it' }));
    expect(err).toBeInstanceOf(NvprobeError);
    expect((err as NvprobeError).exitCode).toBe(ExitCode.usage);
    expect((err as NvprobeError).message).toBe(`${file} already exists`);
    expect(readFileSync(file, 'utf8')).toBe('written by someone else\n');
    expect(readdirSync(dir)).toEqual(['report.html']);
  });

  it('a free name gets the whole file, and the temp file is gone', () => {
    const file = join(dir, 'new.json');
    writeFileSafely(file, '{"a":1}\n', { mode: 0o600, replace: false });
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n');
    expect(readdirSync(dir).sort()).toEqual(['new.json', 'report.html']);
  });

  it('with replace, an existing file is replaced whole', () => {
    const file = join(dir, 'report.html');
    writeFileSafely(file, 'nvprobe\n', { mode: 0o644, replace: true });
    expect(readFileSync(file, 'utf8')).toBe('nvprobe\n');
    expect(readdirSync(dir).sort()).toEqual(['new.json', 'report.html']);
  });
});

import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeRecord, Journal } from '../../src/tune/journal.js';
import { makeTemp, removeTemp } from '../helpers/fixtures.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeTemp));
function fresh(): string {
  const d = makeTemp('nvprobe-journal-');
  dirs.push(d);
  return d;
}
const write = { op: 'attr' as const, path: '/sys/block/loop0/queue/nomerges', value: '2' };
const prev = { op: 'attr' as const, value: '0' };

describe('the write-ahead journal', () => {
  it('records intents durably and tells what is still in effect', () => {
    const d = fresh();
    const j = Journal.open(d);
    j.append({ t: 'run', run: 'r1', at: 'now', command: 'tune', nvprobeVersion: '0' });
    const s1 = j.newSeq();
    j.append({ t: 'intent', run: 'r1', seq: s1, label: 'a', write, prev });
    j.append({ t: 'done', run: 'r1', seq: s1 });
    const s2 = j.newSeq();
    j.append({ t: 'intent', run: 'r1', seq: s2, label: 'b', write, prev });
    const again = Journal.open(d);
    expect(again.outstanding().map((e) => [e.seq, e.done])).toEqual([
      [1, true],
      [2, false], // intent without done: the write may or may not have happened
    ]);
    again.append({ t: 'undone', run: 'r1', seq: 1 });
    expect(
      Journal.open(d)
        .outstanding()
        .map((e) => e.seq),
    ).toEqual([2]);
    expect(Journal.open(d).newSeq()).toBe(3);
  });

  it('drops a torn last record (the process died while appending it)', () => {
    const d = fresh();
    const j = Journal.open(d);
    j.append({ t: 'run', run: 'r1', at: 'now', command: 'tune', nvprobeVersion: '0' });
    appendFileSync(j.file, encodeRecord({ t: 'intent', run: 'r1', seq: 1, label: 'x', write, prev }).slice(0, 40));
    const again = Journal.open(d);
    expect(again.outstanding()).toEqual([]);
    expect(readFileSync(j.file, 'utf8').endsWith('\n')).toBe(true); // truncated back to whole records
  });

  it('refuses a corrupt journal instead of guessing', () => {
    const d = fresh();
    const j = Journal.open(d);
    j.append({ t: 'run', run: 'r1', at: 'now', command: 'tune', nvprobeVersion: '0' });
    const text = readFileSync(j.file, 'utf8');
    writeFileSync(j.file, text.replace('"tune"', '"tunE"'));
    expect(() => Journal.open(d)).toThrow(/corrupt at line 1 \(checksum mismatch\); nvprobe will not guess/);
    writeFileSync(j.file, `${text}{not json}\n`);
    expect(() => Journal.open(d)).toThrow(/corrupt at line 2 \(not JSON\)/);
  });

  it('refuses a journal from a newer nvprobe', () => {
    const d = fresh();
    writeFileSync(join(d, 'journal.jsonl'), `${JSON.stringify({ v: 2, t: 'run', run: 'r9' })}\n`);
    expect(() => Journal.open(d)).toThrow(/written by a newer nvprobe \(format 2, this one reads 1\)/);
  });

  it('archives itself once nothing is outstanding', () => {
    const d = fresh();
    const j = Journal.open(d);
    const s = j.newSeq();
    j.append({ t: 'intent', run: 'r1', seq: s, label: 'a', write, prev });
    expect(j.archiveIfSettled(join(d, 'runs'))).toBe(false);
    j.append({ t: 'undone', run: 'r1', seq: s });
    expect(j.archiveIfSettled(join(d, 'runs'))).toBe(true);
    expect(Journal.open(d).entries()).toEqual([]);
  });
});

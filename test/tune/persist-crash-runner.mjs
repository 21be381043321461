// Test harness: what `tune --persist` does after measuring (plan the persistent writes, apply
// each through the journal), on a captured tree given as argv[2], journal in argv[3], actions as
// JSON in argv[4]. The crash tests run it with NVPROBE_TEST_CRASH_AT set.
import { planPersistence } from '../../dist/knobs/persist/persist-plan.js';
import { Root } from '../../dist/host/root.js';
import { Applier } from '../../dist/tune/applier.js';
import { Journal } from '../../dist/tune/journal.js';

const [dir, state, actionsJson] = process.argv.slice(2);
const root = new Root(dir);
const journal = Journal.open(state);
const run = `persist-${process.pid}`;
journal.append({ t: 'run', run, at: new Date().toISOString(), command: 'tune --persist', nvprobeVersion: 'test' });
const plan = planPersistence(root, JSON.parse(actionsJson));
const applier = new Applier(root, journal, run);
for (const w of plan.writes) applier.apply(w.write, `persist: ${w.description}`);
journal.append({ t: 'end', run, status: 'complete' });
process.stdout.write(JSON.stringify({ writes: plan.writes.length, manual: plan.manual }));

import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { builtInRulesDir, defaultRuleDirs, formatRuleError, loadRules, SYSTEM_RULES_DIR } from '../../src/rules/load.js';
import { makeTemp, removeTemp } from '../helpers/fixtures.js';
import { asNobody } from '../helpers/unprivileged.js';

const dir = makeTemp('nvprobe-rules-');
afterAll(() => removeTemp(dir));
let n = 0;
/** A rules directory holding the given files. */
function rulesDir(files: Record<string, string>): string {
  const d = join(dir, `set${n++}`);
  mkdirSync(d);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

const GOOD = `rules:
  - id: good-rule
    title: a fine rule
    severity: low
    check: { field: hypervisor.kind, equals: kvm }
    rationale: because it is there and the test needs a rule that loads without any problem at all.
    references: [https://example.org/doc]
    status: info
`;
function ruleWith(extra: string, base = 'bad-rule'): string {
  return `rules:
  - id: ${base}
    title: t
    severity: low
    rationale: r
    references: [x]
${extra}`;
}
function errorsOf(text: string): string[] {
  const d = rulesDir({ 'good.yaml': GOOD, 'bad.yaml': text });
  const r = loadRules([d]);
  // Whatever is wrong with bad.yaml, good.yaml still loads, and nothing of bad.yaml does.
  expect(r.rules.map((x) => x.id)).toEqual(['good-rule']);
  return r.errors.map((e) => formatRuleError(e).replace(`${d}/`, ''));
}

describe('rule file validation', () => {
  it('malformed YAML: names the file and line', () => {
    expect(errorsOf('rules:\n  - id: x\n   title: [unclosed\n')).toEqual([expect.stringMatching(/^bad\.yaml: line \d+:\d+: malformed YAML/)]);
  });

  it('unknown keys in the file and in a rule', () => {
    expect(errorsOf(`${GOOD.replace('good-rule', 'other')}frobnicate: 1\n`)).toEqual(['bad.yaml: frobnicate: unknown key (allowed: topic, description, rules)']);
    expect(errorsOf(ruleWith('    check: { field: hypervisor.kind, equals: kvm }\n    status: info\n    colour: blue\n'))).toContainEqual(
      expect.stringMatching(/^bad\.yaml: rule 'bad-rule': colour: unknown key/),
    );
  });

  it('wrong types', () => {
    const errs = errorsOf(`rules:
  - id: typed
    title: 7
    severity: urgent
    check: { field: hypervisor.kind, equals: kvm }
    rationale: ""
    references: x
    status: info
    prerequisite: yes please
`);
    expect(errs).toEqual(
      expect.arrayContaining([
        "bad.yaml: rule 'typed': title: must be a non-empty string",
        "bad.yaml: rule 'typed': severity: must be one of info, low, medium, high",
        "bad.yaml: rule 'typed': rationale: must say why, in plain words",
        "bad.yaml: rule 'typed': references: must be a non-empty list of strings",
        "bad.yaml: rule 'typed': prerequisite: must be true or false",
      ]),
    );
  });

  it('duplicate ids, in one file and across files', () => {
    expect(
      errorsOf(
        `${ruleWith('    check: { field: hypervisor.kind, equals: kvm }\n    status: info\n', 'twice')}${ruleWith('    check: { field: hypervisor.kind, equals: kvm }\n    status: info\n', 'twice').replace('rules:\n', '')}`,
      ),
    ).toEqual(["bad.yaml: rule 'twice': id: duplicate rule id in this file"]);
    const d = rulesDir({ 'a.yaml': GOOD, 'b.yaml': GOOD });
    const r = loadRules([d]);
    expect(r.rules).toHaveLength(1);
    expect(r.errors.map(formatRuleError)).toEqual([`${d}/b.yaml: rule 'good-rule': id: duplicate rule id, already defined in ${d}/a.yaml`]);
  });

  it('a condition on a field that does not exist, and a disk field in a machine rule', () => {
    expect(errorsOf(ruleWith('    check: { field: disk.settings.schedulr, equals: none }\n    status: info\n    scope: disk\n'))).toEqual([
      "bad.yaml: rule 'bad-rule': check.field: no such Snapshot field 'disk.settings.schedulr'",
    ]);
    expect(errorsOf(ruleWith('    check: { field: disk.settings.scheduler, equals: none }\n    status: info\n'))).toEqual([
      "bad.yaml: rule 'bad-rule': check.field: no such Snapshot field 'disk.settings.scheduler'",
    ]);
  });

  it('actions outside the allowlist are refused at load', () => {
    const check = '    scope: disk\n    check: { field: disk.transport, equals: nvme }\n';
    expect(errorsOf(ruleWith(`${check}    actions:\n      - { kind: shell, command: "rm -rf /" }\n`))).toEqual([
      "bad.yaml: rule 'bad-rule': actions[0].kind: 'shell' is not an allowed action kind (queue-attr, module-param, pm-qos, kernel-cmdline, modprobe-option, module-load)",
    ]);
    expect(errorsOf(ruleWith(`${check}    actions:\n      - { kind: queue-attr, attr: ../../../etc/passwd, value: x }\n`))[0]).toMatch(
      /actions\[0\]\.attr: '\.\.\/\.\.\/\.\.\/etc\/passwd' is not an allowed queue attribute/,
    );
    expect(errorsOf(ruleWith(`${check}    actions:\n      - { kind: module-param, module: kvm, param: halt_poll_ns, value: 1 }\n`))[0]).toMatch(
      /kvm\.halt_poll_ns is not an allowed runtime module parameter/,
    );
    expect(errorsOf(ruleWith(`${check}    actions:\n      - { kind: kernel-cmdline, param: init, value: /bin/sh }\n`))[0]).toMatch(/'init' is not an allowed kernel command-line parameter/);
    expect(errorsOf(ruleWith(`${check}    actions:\n      - { kind: queue-attr, attr: scheduler, value: none, path: /etc/shadow }\n`))[0]).toMatch(/actions\[0\]\.path: unknown key/);
    expect(errorsOf(ruleWith('    check: { field: hypervisor.kind, equals: kvm }\n    actions:\n      - { kind: queue-attr, attr: scheduler, value: none }\n'))[0]).toMatch(
      /needs a rule with scope: disk/,
    );
  });

  it('a rules path that is a file that is not YAML, or missing', () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    expect(loadRules([file]).errors.map(formatRuleError)).toEqual([`${file}: is not a directory of rule files`]);
    expect(loadRules([join(dir, 'nope')]).errors.map(formatRuleError)).toEqual([`${join(dir, 'nope')}: cannot read rules directory (ENOENT)`]);
  });

  it('an unreadable rule file', async (ctx) => {
    const d = rulesDir({ 'locked.yaml': GOOD });
    chmodSync(join(d, 'locked.yaml'), 0o000);
    if (process.getuid?.() !== 0) {
      expect(loadRules([d]).errors.map(formatRuleError)).toEqual([`${join(d, 'locked.yaml')}: cannot read (EACCES)`]);
    } else {
      // Root reads anything; only a process without CAP_DAC_OVERRIDE is refused: load as nobody.
      chmodSync(dir, 0o755);
      chmodSync(d, 0o755);
      const r = await asNobody(ctx).run(['rules', 'validate', d]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/locked\.yaml: cannot read \(EACCES\)/);
    }
  });
});

describe('builtInRulesDir', () => {
  it('uses rules/ beside the package (checkout, npm i -g), else /usr/share/nvprobe/rules (.deb, .rpm)', () => {
    const pkg = mkdtempSync(join(tmpdir(), 'nvprobe-pkgroot-'));
    try {
      const realExists = (p: string) => existsSync(p);
      const systemToo = (p: string) => p === SYSTEM_RULES_DIR || existsSync(p);
      // Nothing beside the package and no system dir: the beside path, so the error names it.
      expect(builtInRulesDir(pkg, realExists)).toBe(`${join(pkg, 'rules')}/`);
      expect(builtInRulesDir(pkg, systemToo)).toBe(SYSTEM_RULES_DIR);
      mkdirSync(join(pkg, 'rules'));
      expect(builtInRulesDir(pkg, systemToo)).toBe(`${join(pkg, 'rules')}/`);
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
  });

  it("finds this checkout's rules by default", () => {
    expect(defaultRuleDirs()[0]).toBe(fileURLToPath(new URL('../../rules/', import.meta.url)));
  });
});

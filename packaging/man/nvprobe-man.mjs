#!/usr/bin/env node
// Writes nvprobe(1) in roff to stdout, derived from the built CLI's --help (run `npm run build` first),
// so the man page never drifts from the program. usage: node packaging/man/nvprobe-man.mjs > nvprobe.1
import { readFileSync } from 'node:fs';

const { buildProgram } = await import(new URL('../../dist/cli/program.js', import.meta.url));
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? Math.floor(Date.now() / 1000));
const date = new Date(epoch * 1000).toISOString().slice(0, 10);

/** roff-safe text: backslashes doubled, a leading dot or quote made literal, hyphens kept as minus where options are. */
const esc = (s) => s.replace(/\\/g, '\\e').replace(/^([.'])/gm, '\\&$1').replace(/-/g, '\\-');
/** What `--help` prints, including the text commands add after it (the exit codes). */
const help = (cmd) => {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  cmd.outputHelp();
  return text.trimEnd();
};

const program = buildProgram();
const out = [
  `.TH NVPROBE 1 "${date}" "nvprobe ${version}" "User Commands"`,
  '.SH NAME',
  `nvprobe \\- ${esc(program.description())}`,
  '.SH SYNOPSIS',
  '.B nvprobe',
  '.I command',
  '[\\fIoptions\\fR]',
  '.SH DESCRIPTION',
  '.nf',
  esc(help(program)),
  '.fi',
  '.SH COMMANDS',
];
for (const cmd of program.commands) {
  out.push(`.SS nvprobe ${esc(cmd.name())}`, '.nf', esc(help(cmd).replace(/\n+Exit codes:[\s\S]*$/, '')), '.fi');
  for (const sub of cmd.commands) out.push(`.SS nvprobe ${esc(cmd.name())} ${esc(sub.name())}`, '.nf', esc(help(sub)), '.fi');
}
out.push(
  '.SH FILES',
  '.TP',
  '.I /usr/share/nvprobe/rules/*.yaml',
  'the rules shipped with nvprobe',
  '.TP',
  '.I /etc/nvprobe/rules.d/*.yaml',
  'local rules, loaded after the shipped ones',
  '.TP',
  '.I /var/lib/nvprobe/',
  'journal, lock and saved runs of \\fBnvprobe tune\\fR',
  '.TP',
  '.I /usr/lib/systemd/system/nvprobe\\-tune.service',
  'boot\\-time \\fBnvprobe tune \\-\\-yes \\-\\-budget 20s \\-\\-json\\fR (disabled by default)',
  '.SH SEE ALSO',
  '.BR fio (1),',
  '.BR systemctl (1)',
);
process.stdout.write(`${out.join('\n')}\n`);

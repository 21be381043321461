import type { Command } from 'commander';

export function registerProbe(program: Command): Command {
  return program.command('probe').description('measure QD1 read latency (work in progress)');
}

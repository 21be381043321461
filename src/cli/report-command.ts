import type { Command } from 'commander';
import { printJson, printText } from './output.js';

interface ReportOptions {
  output?: string;
  force?: boolean;
}

export function registerReport(program: Command): Command {
  return program
    .command('report')
    .description('show a bundle or a saved tune run: tables and histograms here, or one self-contained HTML file with -o')
    .argument('<input>', 'a bundle from `nvprobe collect` (.tar.gz), a saved tune run (RUN.json) or a `probe --json` document')
    .option('-o, --output <file>', 'write a self-contained HTML report (inline SVG charts, no scripts) to FILE')
    .option('--force', 'replace an existing output file')
    .action(async (input: string, opts: ReportOptions) => {
      const [{ readReportSource }, { buildReportModel }, { writeNewFile }] = await Promise.all([
        import('../host/report-input.js'),
        import('../report/report-model.js'),
        import('../host/bundle-archive.js'),
      ]);
      const model = buildReportModel(readReportSource(input));
      if (opts.output === undefined) {
        const { renderReportText } = await import('../report/report-text.js');
        printText(renderReportText(model));
        return;
      }
      const { renderHtmlReport } = await import('../report/html-report.js');
      writeNewFile(opts.output, renderHtmlReport(model), !!opts.force);
      printText(`wrote ${opts.output}\n`);
    });
}

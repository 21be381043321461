import type { Command } from 'commander';
import { printText } from './output.js';
import { inlineStrings, inlineText } from '../report/terminal-safe.js';

interface ReportOptions {
  output?: string;
  force?: boolean;
  json?: boolean;
}

export function registerReport(program: Command): Command {
  return program
    .command('report')
    .description('show a bundle or a saved tune run: tables and histograms here, or one self-contained HTML file with -o')
    .argument('<input>', 'a bundle from `nvprobe collect` (.tar.gz), a saved tune run (RUN.json) or a `probe --json` document')
    .option('-o, --output <file>', 'write a self-contained HTML report (inline SVG charts, no scripts) to FILE')
    .option('--force', 'replace an existing output file')
    .option('--json', 'print what the report read, and its summary, as one JSON document')
    .action(async (input: string, opts: ReportOptions) => {
      const [{ readReportSource }, { buildReportModel }, { writeNewFile }, { usageError }] = await Promise.all([
        import('../host/report-input.js'),
        import('../report/report-model.js'),
        import('../host/bundle-archive.js'),
        import('../errors.js'),
      ]);
      const model = buildReportModel(readReportSource(input));
      // The input comes from elsewhere: a document of the right kind but the wrong shape (a
      // list where an object belongs, a field missing) is bad input, not a bug of nvprobe.
      const shaped = <T>(render: () => T): T => {
        try {
          return render();
        } catch (err) {
          if (err instanceof TypeError || err instanceof RangeError) {
            throw usageError(`${input}: a document in it does not have the shape nvprobe writes (${err.message})`, 'give a bundle, run or probe document written by nvprobe');
          }
          throw err;
        }
      };
      if (opts.json && opts.output !== undefined) throw usageError('--json and -o contradict each other', 'print JSON (--json) or write HTML (-o FILE)');
      if (opts.json) {
        const [{ reportDocument }, { printJson }] = await Promise.all([import('../report/report-document.js'), import('./output.js')]);
        printJson(shaped(() => reportDocument(model)));
        return;
      }
      if (opts.output === undefined) {
        const { renderReportText } = await import('../report/report-text.js');
        printText(shaped(() => renderReportText(inlineStrings(model))));
        return;
      }
      const { renderHtmlReport } = await import('../report/html-report.js');
      const html = shaped(() => renderHtmlReport(model));
      writeNewFile(opts.output, html, !!opts.force);
      printText(`wrote ${inlineText(opts.output)}\n`);
    });
}

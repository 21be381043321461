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
    .description('show a bundle or a saved tune run: tables and histograms here, or one self-contained HTML file with -o; given two, compare them (A against B)')
    .argument('<input...>', 'a bundle from `nvprobe collect` (.tar.gz), a saved tune run (RUN.json) or a `probe --json` document; two of them (A B) to compare')
    .option('-o, --output <file>', 'write a self-contained HTML report (inline SVG charts, no scripts) to FILE')
    .option('--force', 'replace an existing output file')
    .option('--json', 'print what the report read, and its summary, as one JSON document (with two inputs: the comparison)')
    .action(async (inputs: string[], opts: ReportOptions) => {
      const [{ readReportSource, sameContents }, { buildReportModel }, { writeNewFile }, { usageError }] = await Promise.all([
        import('../host/report-input.js'),
        import('../report/report-model.js'),
        import('../host/bundle-archive.js'),
        import('../errors.js'),
      ]);
      if (inputs.length > 2) throw usageError(`report takes one input, or two to compare; got ${inputs.length}`, 'give one bundle or document to show, or two (A B) to compare');
      if (opts.json && opts.output !== undefined) throw usageError('--json and -o contradict each other', 'print JSON (--json) or write HTML (-o FILE)');
      // Every input is read and checked before anything is written.
      const sources = inputs.map((input) => readReportSource(input));
      if (sources.length === 2 && sameContents(sources[0]!, sources[1]!)) {
        throw usageError(
          `${inputs[0]} and ${inputs[1]} hold the same ${sources[0]!.kind === 'bundle' ? 'bundle' : 'document'}: nothing to compare`,
          'give two different inputs, e.g. bundles collected before and after the change',
        );
      }
      const models = sources.map((src) => buildReportModel(src));
      // The input comes from elsewhere: a document of the right kind but the wrong shape (a
      // list where an object belongs, a field missing) is bad input, not a bug of nvprobe.
      const what = inputs.join(' or ');
      const shaped = <T>(render: () => T): T => {
        try {
          return render();
        } catch (err) {
          if (err instanceof TypeError || err instanceof RangeError) {
            throw usageError(`${what}: a document in it does not have the shape nvprobe writes (${err.message})`, 'give a bundle, run or probe document written by nvprobe');
          }
          throw err;
        }
      };
      if (models.length === 2) {
        const { buildCompareModel } = await import('../report/compare-model.js');
        const cmp = shaped(() => buildCompareModel(models[0]!, models[1]!));
        if (opts.json) {
          const { printJson } = await import('./output.js');
          printJson(cmp.doc);
        } else if (opts.output === undefined) {
          const { renderCompareText } = await import('../report/compare-text.js');
          printText(shaped(() => renderCompareText(inlineStrings(cmp.doc))));
        } else {
          const { renderCompareHtml } = await import('../report/compare-html.js');
          writeNewFile(
            opts.output,
            shaped(() => renderCompareHtml(cmp)),
            !!opts.force,
          );
          printText(`wrote ${inlineText(opts.output)}\n`);
        }
        return;
      }
      const model = models[0]!;
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

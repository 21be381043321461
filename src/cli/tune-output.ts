import type { TuneReport } from '../contracts/tune-document.js';
import { inlineStrings } from '../report/terminal-safe.js';
import { renderTuneText } from '../report/tune-text.js';
import { printJson, printText } from './output.js';

/** tune's report: one JSON document, or the text with the verification's steps when one is (or would be) armed. */
export function printTuneReport(report: TuneReport, json: boolean): void {
  if (json) printJson(report);
  else
    printText(
      renderTuneText(inlineStrings(report)) +
        (report.verify ? `\n${report.verify.armed ? 'Armed for the next boot' : 'With --persist (not done: dry run)'}:\n${report.verify.steps.map((t) => `  - ${t}`).join('\n')}\n` : ''),
    );
}

import type { CollectOutcome } from '../bundle/collect.js';
import { inlineText } from '../report/terminal-safe.js';
import { printErrorLine, printJson, printText } from './output.js';

/** What collect wrote: one JSON document, or a line per collector; collectors that did not finish on stderr. */
export function printCollectOutcome({ result, records }: CollectOutcome, json: boolean): void {
  if (json) {
    printJson(result);
  } else {
    printText(
      `wrote ${inlineText(result.bundle)} (${(result.bytes / 1024).toFixed(1)} KiB, ${(result.collectMs.withoutProbe / 1000).toFixed(1)} s without the probe)${result.caseId ? ` for case ${inlineText(result.caseId)}` : ''}\n`,
    );
    printText(`sha256 ${result.sha256}  ${inlineText(result.bundle)}\n`);
    for (const r of records)
      printText(
        `  ${r.name.padEnd(11)} ${r.status.padEnd(8)} ${r.files} files, ${r.bytes} bytes, ${r.ms} ms${r.reason ? `; ${inlineText(r.reason)}` : ''}${r.truncated.length ? `; truncated: ${inlineText(r.truncated.join(', '))}` : ''}\n`,
      );
    if (result.redactionMap) printText(`redaction map (${result.redactions} values; kept here, away from the bundle: do not send it): ${inlineText(result.redactionMap)}\n`);
    else printText('not redacted (--no-redact): the bundle holds hostnames, addresses and serials as they are\n');
  }
  const failed = records.filter((r) => r.status === 'failed' || r.status === 'timeout');
  if (failed.length > 0 && !json) printErrorLine(`nvprobe: ${failed.length} collector(s) did not finish: ${failed.map((r) => `${r.name} (${r.reason})`).join('; ')}`);
}

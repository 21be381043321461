/**
 * A strict reader of the Prometheus text exposition format (0.0.4), written from the format's
 * rules rather than from nvprobe's writer: HELP/TYPE before a family's samples, each family
 * once, metric and label names by their grammar, label values with \\ \" \n escapes only.
 */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface PromFamily {
  name: string;
  help: string;
  type: string;
  samples: PromSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];

export function parsePrometheusText(text: string): Map<string, PromFamily> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a line feed');
  const families = new Map<string, PromFamily>();
  let current: PromFamily | null = null;
  const closed = new Set<string>();
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => {
      const at = `line ${i + 1}`;
      if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
        const [, kind, name, ...rest] = line.split(' ');
        if (!name || !METRIC_NAME.test(name) || METRIC_NAME.exec(name)![0] !== name) throw new Error(`${at}: bad metric name in ${kind}`);
        if (closed.has(name)) throw new Error(`${at}: family ${name} appears twice`);
        if (!current || current.name !== name) {
          if (current) closed.add(current.name);
          current = { name, help: '', type: 'untyped', samples: [] };
          families.set(name, current);
        }
        if (current.samples.length) throw new Error(`${at}: ${kind} after samples of ${name}`);
        const arg = rest.join(' ');
        if (kind === 'HELP') current.help = unescapeHelp(arg, at);
        else {
          if (!TYPES.includes(arg)) throw new Error(`${at}: unknown type ${arg}`);
          current.type = arg;
        }
        return;
      }
      if (line.startsWith('#') || line.trim() === '') return;
      const s = parseSample(line, at);
      const base =
        current &&
        (s.name === current.name || ((current.type === 'summary' || current.type === 'histogram') && [`${current.name}_sum`, `${current.name}_count`, `${current.name}_bucket`].includes(s.name)));
      if (!base) throw new Error(`${at}: sample ${s.name} outside its family (no HELP/TYPE before it)`);
      current!.samples.push(s);
    });
  return families;
}

function parseSample(line: string, at: string): PromSample {
  const m = METRIC_NAME.exec(line);
  if (!m) throw new Error(`${at}: no metric name`);
  const name = m[0];
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    while (!rest.startsWith('}')) {
      const ln = LABEL_NAME.exec(rest);
      if (!ln) throw new Error(`${at}: bad label name`);
      rest = rest.slice(ln[0].length);
      if (!rest.startsWith('="')) throw new Error(`${at}: expected =" after ${ln[0]}`);
      rest = rest.slice(2);
      let value = '';
      for (;;) {
        const c = rest[0];
        if (c === undefined) throw new Error(`${at}: unterminated label value`);
        rest = rest.slice(1);
        if (c === '"') break;
        if (c === '\n') throw new Error(`${at}: raw line feed in label value`);
        if (c === '\\') {
          const e = rest[0];
          rest = rest.slice(1);
          if (e === '\\') value += '\\';
          else if (e === '"') value += '"';
          else if (e === 'n') value += '\n';
          else throw new Error(`${at}: invalid escape \\${e} in label value`);
        } else value += c;
      }
      if (ln[0] in labels) throw new Error(`${at}: label ${ln[0]} twice`);
      labels[ln[0]] = value;
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith('}')) throw new Error(`${at}: expected , or } after a label`);
    }
    rest = rest.slice(1);
  }
  const parts = rest.split(' ');
  if (parts[0] !== '' || parts.length < 2 || parts.length > 3) throw new Error(`${at}: expected " value [timestamp]"`);
  const v = parts[1]!;
  const value = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : v === 'NaN' ? NaN : Number(v);
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v) && !['+Inf', '-Inf', 'NaN'].includes(v)) throw new Error(`${at}: bad value ${v}`);
  return { name, labels, value };
}

function unescapeHelp(s: string, at: string): string {
  return s.replace(/\\(.)/g, (_, e: string) => {
    if (e === '\\') return '\\';
    if (e === 'n') return '\n';
    throw new Error(`${at}: invalid escape \\${e} in HELP`);
  });
}

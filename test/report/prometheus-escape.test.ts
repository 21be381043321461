import { describe, expect, it } from 'vitest';
import { escapeLabelValue } from '../../src/report/prometheus.js';
import { terminalSafe } from '../../src/report/terminal-safe.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';

describe('Prometheus label values with control characters', () => {
  it('use only the format escapes (\\\\, \\", \\n) and stay valid after terminal escaping', () => {
    const hostile = 'dev\\"x\ny\rz\u001b[2J\u0007\u009b\u202e';
    // As probe writes it: rendered, then the whole text escaped for the terminal (or -o FILE).
    const text = terminalSafe(`# HELP m x\n# TYPE m gauge\nm{device="${escapeLabelValue(hostile)}"} 1\n`);
    const sample = parsePrometheusText(text).get('m')?.samples[0];
    expect(sample?.labels.device).toBe('dev\\"x\ny\\x0dz\\x1b[2J\\x07\\x9b\\u202e');
    const raw = [...text].filter((c) => c !== '\n' && (c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f) || (c >= '\u202a' && c <= '\u202e')));
    expect(raw).toEqual([]);
  });
});

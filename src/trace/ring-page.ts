/**
 * The binary ring-buffer page that `per_cpu/cpuN/trace_pipe_raw` hands out, decoded as
 * libtraceevent's kbuffer does: a page header (absolute timestamp, commit = bytes of data plus
 * two flag bits), then events with a 4-byte header (type_len:5, time_delta:27) whose deltas add
 * up to each event's timestamp in the instance's trace clock: nanoseconds, unrounded.
 */
export interface PageLayout {
  timestampOffset: number;
  commitOffset: number;
  commitSize: number;
  dataOffset: number;
  /** Bytes of event data a page holds (page size minus the header). */
  dataSize: number;
}

const TYPE_PADDING = 29;
const TYPE_TIME_EXTEND = 30;
const TYPE_TIME_STAMP = 31;
const TS_SHIFT = 2 ** 27;
/** Flags in the commit word: events were lost before this page; their count is stored after the data. */
const RB_MISSED_EVENTS = 2 ** 31;
const RB_MISSED_STORED = 2 ** 30;

/** Parse `events/header_page` (field offsets differ on 32-bit kernels). */
export function parsePageLayout(text: string): PageLayout {
  const field = (name: string) => {
    const m = new RegExp(`field:[^;]*\\b${name};\\s*offset:(\\d+);\\s*size:(\\d+);`).exec(text);
    if (!m) throw new Error(`events/header_page has no '${name}' field`);
    return { offset: Number(m[1]), size: Number(m[2]) };
  };
  const ts = field('timestamp');
  const commit = field('commit');
  const data = field('data');
  return { timestampOffset: ts.offset, commitOffset: commit.offset, commitSize: commit.size, dataOffset: data.offset, dataSize: data.size };
}

export interface PageResult {
  events: number;
  /** The kernel flagged events lost before this page (ring buffer overrun). */
  missedBefore: boolean;
  /** How many, when the kernel stored the count (else 0 with missedBefore set). */
  missedCount: number;
}

/**
 * Call `onEvent(tsNs, recordOffset, recordLength)` for every data event of the page in `view`
 * (`length` bytes as read). Timestamps are numbers: ns since boot stay exact below 2^53 (104 days
 * of uptime in 'mono'; beyond that they lose sub-ns bits only).
 */
export function decodePage(view: DataView, length: number, layout: PageLayout, onEvent: (tsNs: number, at: number, len: number) => void): PageResult {
  if (length < layout.dataOffset) return { events: 0, missedBefore: false, missedCount: 0 };
  let ts = Number(view.getBigUint64(layout.timestampOffset, true));
  const commitWord = view.getUint32(layout.commitOffset, true);
  const missedBefore = commitWord >= RB_MISSED_EVENTS || (commitWord & RB_MISSED_STORED) !== 0;
  const commit = commitWord % RB_MISSED_STORED; // the low 30 bits
  const end = Math.min(layout.dataOffset + commit, length);
  let missedCount = 0;
  if ((commitWord & RB_MISSED_STORED) !== 0 && end + 8 <= length) missedCount = Number(view.getBigUint64(end, true));
  let p = layout.dataOffset;
  let events = 0;
  while (p + 4 <= end) {
    const h = view.getUint32(p, true);
    const typeLen = h & 31;
    const delta = h >>> 5;
    p += 4;
    switch (typeLen) {
      case TYPE_PADDING: {
        if (delta === 0) return { events, missedBefore, missedCount }; // the rest of the page is empty
        ts += delta; // a discarded event keeps its time
        p += view.getUint32(p, true);
        break;
      }
      case TYPE_TIME_EXTEND:
        ts += view.getUint32(p, true) * TS_SHIFT + delta;
        p += 4;
        break;
      case TYPE_TIME_STAMP:
        ts = view.getUint32(p, true) * TS_SHIFT + delta;
        p += 4;
        break;
      case 0: {
        const len = view.getUint32(p, true) - 4;
        ts += delta;
        onEvent(ts, p + 4, len);
        events++;
        p += 4 + ((len + 3) & ~3);
        break;
      }
      default:
        ts += delta;
        onEvent(ts, p, typeLen * 4);
        events++;
        p += typeLen * 4;
    }
  }
  return { events, missedBefore, missedCount };
}

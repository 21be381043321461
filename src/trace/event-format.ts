/** One field of a trace event record, as its `format` file describes it. */
export interface EventField {
  offset: number;
  size: number;
  signed: boolean;
}

export interface EventFormat {
  system: string;
  name: string;
  /** `common_type` of its records in the ring buffer. */
  id: number;
  fields: Map<string, EventField>;
}

/** Parse `events/SYSTEM/NAME/format`: the event's id and where each field sits in a record. */
export function parseEventFormat(system: string, name: string, text: string): EventFormat {
  const id = /^ID:\s*(\d+)/m.exec(text);
  if (!id) throw new Error(`events/${system}/${name}/format has no ID line`);
  const fields = new Map<string, EventField>();
  const re = /field:([^;]*);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const decl = m[1]!.trim();
    const fieldName = /([A-Za-z_][A-Za-z0-9_]*)\s*(\[[^\]]*\])?$/.exec(decl)?.[1];
    if (fieldName) fields.set(fieldName, { offset: Number(m[2]), size: Number(m[3]), signed: m[4] === '1' });
  }
  return { system, name, id: Number(id[1]), fields };
}

/** A field that must be there with one of the given sizes; the error names the event and field. */
export function requireField(f: EventFormat, field: string, sizes: number[]): EventField {
  const x = f.fields.get(field);
  if (!x || !sizes.includes(x.size)) throw new Error(`${f.system}:${f.name} has no ${sizes.join('/')}-byte field '${field}'`);
  return x;
}

/** Read an integer field of a record at `base` in `view` (little-endian host; sizes 1, 2, 4, 8). */
export function readField(view: DataView, base: number, f: EventField): number {
  const at = base + f.offset;
  switch (f.size) {
    case 1:
      return f.signed ? view.getInt8(at) : view.getUint8(at);
    case 2:
      return f.signed ? view.getInt16(at, true) : view.getUint16(at, true);
    case 4:
      return f.signed ? view.getInt32(at, true) : view.getUint32(at, true);
    default:
      return Number(f.signed ? view.getBigInt64(at, true) : view.getBigUint64(at, true));
  }
}

// Pins of the document fields that users' scripts read: each pin names a field by its path as a
// script walks it ("result.changes[].decision") and the type the script relies on there.

/** A pinned field: its type, and whether a document may lack it. */
export interface Pinned<T> {
  readonly optional: boolean;
  /** Type-level only: never read at run time. */
  readonly type: T;
}

/** A field every document of this schema version has. */
export function field<T>(): Pinned<T> {
  return { optional: false } as Pinned<T>;
}

/** A field a document may lack (absent in older documents, or in one branch of a union). */
export function maybe<T>(): Pinned<T | undefined> {
  return { optional: true } as Pinned<T | undefined>;
}

export type Pins = Record<string, Pinned<unknown>>;

/**
 * What a script may rely on at a path: scalars as they are; an object or array only as such,
 * since the fields inside it that scripts read are pinned by their own paths.
 */
type Shape<T> = T extends readonly unknown[] ? 'array' : T extends object ? 'object' : T;

/** "a.b[].c" → ['a', 'b', number, 'c']. */
type Segments<P extends string> = P extends `${infer Head}.${infer Rest}` ? [...Segment<Head>, ...Segments<Rest>] : Segment<P>;
type Segment<S extends string> = S extends `${infer Name}[]` ? [Name, number] : [S];

/** One step down: a script only steps into a value that is there; a union member without the key gives undefined. */
type Child<T, K> = T extends null | undefined ? never : K extends keyof T ? T[K] : undefined;
type At<T, Keys extends unknown[]> = Keys extends [infer K, ...infer Rest] ? At<Child<T, K>, Rest> : T;

/** The document's actual types at the pinned paths, shaped like the pins. */
export type FieldsOf<Doc, P extends Pins> = { [Path in keyof P]: Shape<At<Doc, Segments<Path & string>>> };
/** The types the pins promise. */
export type PinnedTypes<P extends Pins> = { [Path in keyof P]: P[Path]['type'] };

/**
 * The values a script reaches at `path` in a real document: arrays fan out; a branch whose parent
 * is null or absent ends there (its parent's own pin says whether that may happen).
 */
export function valuesAt(doc: unknown, path: string): unknown[] {
  let values: unknown[] = [doc];
  for (const part of path.split('.')) {
    const many = part.endsWith('[]');
    const key = many ? part.slice(0, -2) : part;
    const next: unknown[] = [];
    for (const v of values) {
      if (v === null || v === undefined || typeof v !== 'object') continue;
      const child = (v as Record<string, unknown>)[key];
      if (!many) next.push(child);
      else if (Array.isArray(child)) next.push(...child);
    }
    values = next;
  }
  return values;
}

/** Pinned paths a real document lacks although the pin says every document has them. */
export function missingFields(doc: unknown, pins: Pins): string[] {
  return Object.entries(pins)
    .filter(([path, pin]) => !pin.optional && valuesAt(doc, path).some((v) => v === undefined))
    .map(([path]) => path);
}

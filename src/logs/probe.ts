/**
 * How many records are parsed whatever they hold, to learn an input's format and whether it is a log
 * at all (json-reader.ts). The head piece of a split file (split.ts) holds at least twice as many, so
 * that its reader decides as a reader of the whole file would.
 */
export const PROBE_RECORDS = 16;

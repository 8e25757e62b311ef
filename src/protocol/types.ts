// Shapes of the sisock wire contract (docs: sisock-protocol), as they travel
// in WAMP arguments and results. Keep them exact: original Python data nodes
// and consumers read and write these.

/** What the hub keeps for each data node server. */
export interface DataNodeInfo {
  name: string;
  description: string;
}

export type FieldType = 'number' | 'string' | 'bool';

export interface FieldInfo {
  description: string | null;
  timeline: string;
  type: FieldType;
  units: string | null;
}

export interface TimelineInfo {
  /** nominal seconds between samples, or null when irregular/unknown */
  interval: number | null;
  field: string[];
}

/** The one positional result of get_fields: [fields, timelines]. */
export type FieldsReply = [Record<string, FieldInfo>, Record<string, TimelineInfo>];

export type SampleValue = number | string | boolean | null;

export interface TimelineData {
  /** UNIX seconds, ascending */
  t: number[];
  /** data before this time will not change; null when all of it is final */
  finalized_until: number | null;
  /** only in the g3 reader's variant: the fields on this timeline */
  fields?: string[];
}

/** The one positional result of get_data. */
export interface DataReply {
  data: Record<string, SampleValue[]>;
  timeline: Record<string, TimelineData>;
}

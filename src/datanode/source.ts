// What the author of a data node server supplies: a name, a description and
// two functions. The DataNodeServer library does the rest (registration,
// announcing to the hub, argument parsing and validation, downsampling to
// min_stride / MAX_POINTS, building replies in the contract's exact shape).
import type { FieldsReply } from '../protocol/types.js';

/**
 * Values of one field on one timeline, index-aligned with the timeline's
 * times. Missing values: NaN or null for numbers, null for strings and bools.
 */
export type FieldSamples = Float64Array | ArrayLike<number | null> | (string | null)[] | (boolean | null)[];

/** Samples of one timeline in a requested range. */
export interface TimelineSamples {
  /** timeline name, as listed by getFields */
  name: string;
  /** sample times, UNIX seconds, ascending */
  t: Float64Array;
  /** requested fields on this timeline -> values aligned with `t` */
  fields: Map<string, FieldSamples>;
  /** data before this time will not change; null when all of it is final */
  finalizedUntil: number | null;
  /**
   * Set when the source already reduced the samples to the request's stride
   * (e.g. from precomputed summaries): the library then leaves them alone.
   */
  downsampled?: boolean;
  /** The g3 reader's variant: emit the `fields` list on this timeline. */
  listFields?: boolean;
}

/** A get_fields request, times already resolved to absolute UNIX seconds. */
export interface FieldsRequest {
  start: number;
  end: number;
}

/** A get_data request, times already resolved to absolute UNIX seconds. */
export interface DataRequest {
  fields: string[];
  start: number;
  end: number;
  /** seconds that successive samples must be apart, or null for raw data */
  minStride: number | null;
  /** cap on points per field (MAX_POINTS), or null for none */
  maxPoints: number | null;
  /** aborted when the caller cancels or the session goes away */
  signal?: AbortSignal;
}

/** A data node server's data, as its author writes it. */
export interface DataNodeSource {
  /** node name: the `N` of org.simonsobservatory.consumer.N.get_data */
  name: string;
  description: string;
  /** every field with data in [start, end) (more may be listed) */
  getFields(request: FieldsRequest): Promise<FieldsReply> | FieldsReply;
  /** samples of the requested fields in [start, end); unknown fields are left out */
  getData(request: DataRequest): Promise<TimelineSamples[]> | TimelineSamples[];
  /**
   * For sources whose field list changes while they run (fields that appear
   * as data arrives, files indexed later): calls `listener` after each such
   * change. The server then tells consumers (`fields_changed`), so they need
   * not poll get_fields. Calling it too often is harmless: the server
   * coalesces. Returns the function that stops the calls.
   */
  onFieldsChanged?(listener: () => void): () => void;
  /** releases files, timers and connections */
  close?(): Promise<void> | void;
}

// Which feeds a data-feed node follows, and what it calls their fields.
//
// Exact (TARGET and FEED given, as in the original): field
// `channel_05_t`, timeline `observatory.<TARGET>.channel_05_t`. The field
// is the OCS field name lower-cased with spaces made underscores.
//
// Wildcards (TARGET and/or FEED left open, `*`): one node follows many
// feeds through one pattern subscription, and each open part is put in
// front of the field name so fields of different agents or feeds never
// collide:
//   TARGET=*            field `<instance-id>.<field>`
//   FEED=*              field `<feed>.<field>`
//   TARGET=* and FEED=* field `<instance-id>.<feed>.<field>`
// The timeline is always `<agent address>.` followed by the field name
// without the instance-id, e.g. `observatory.LSA22YE.temperatures.channel_05_t`.

export interface FeedSelector {
  /** address root of the OCS site (`observatory`) */
  addressRoot: string;
  /** agent instance-id, or null for every agent */
  target: string | null;
  /** feed name, or null for every feed */
  feed: string | null;
}

export interface Subscription {
  topic: string;
  match: 'exact' | 'wildcard';
}

/**
 * The WAMP subscription that delivers the selected feeds, as OCS writes it:
 * `observatory.<TARGET>.feeds.<FEED>` with an empty component for "any"
 * (wildcard match), e.g. `observatory..feeds.` like the HK aggregator.
 */
export function subscriptionFor(sel: FeedSelector): Subscription {
  const topic = `${sel.addressRoot}.${sel.target ?? ''}.feeds.${sel.feed ?? ''}`;
  return { topic, match: sel.target !== null && sel.feed !== null ? 'exact' : 'wildcard' };
}

/** whether `topic` is `<root>.<instance>.feeds.<feed>` of a selected agent and feed */
export function topicMatches(sel: FeedSelector, topic: string): boolean {
  const parts = topic.split('.');
  if (parts.length !== 4 || parts[0] !== sel.addressRoot || parts[2] !== 'feeds') return false;
  const [, instance, , feed] = parts as [string, string, string, string];
  return instance !== '' && feed !== '' && (sel.target === null || instance === sel.target) && (sel.feed === null || feed === sel.feed);
}

/** the original's field naming: lower case, spaces to underscores */
export function sisockFieldName(ocsField: string): string {
  return ocsField.toLowerCase().replaceAll(' ', '_');
}

export interface FieldNames {
  field: string;
  timeline: string;
}

export function fieldNames(sel: FeedSelector, instanceId: string, feedName: string, ocsField: string): FieldNames {
  const base = sisockFieldName(ocsField);
  const local = sel.feed === null ? `${feedName}.${base}` : base;
  return {
    field: sel.target === null ? `${instanceId}.${local}` : local,
    timeline: `${sel.addressRoot}.${instanceId}.${local}`,
  };
}

/** `*` or empty means "any" */
export function selectorPart(value: string | undefined): string | null {
  return value === undefined || value === '' || value === '*' ? null : value;
}

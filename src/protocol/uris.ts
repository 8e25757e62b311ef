// URIs of the sisock wire contract (docs: sisock-protocol). Everything sisock
// registers or publishes lives under one prefix.
export const URI_PREFIX = 'org.simonsobservatory';

/** Procedures and topics of the hub. */
export const HUB = {
  /** procedure: (name, description, session_id) -> true | false when the name is taken */
  add: `${URI_PREFIX}.data_node.add`,
  /** procedure: (name, session_id) -> nothing */
  subtract: `${URI_PREFIX}.data_node.subtract`,
  /** procedure: () -> [{name, description}] */
  getDataNode: `${URI_PREFIX}.consumer.get_data_node`,
  /** topic: one positional arg {name, description} */
  added: `${URI_PREFIX}.consumer.data_node_added`,
  /** topic: one positional arg {name, description} */
  subtracted: `${URI_PREFIX}.consumer.data_node_subtracted`,
  /**
   * topic (our addition): the hub publishes it when it starts, so data nodes
   * that joined before it announce themselves again. No arguments.
   */
  ready: `${URI_PREFIX}.data_node.hub_ready`,
  /**
   * procedure (our addition): () -> {hub, nodes}: every node with its session,
   * since when it is listed and what the liveness probe saw. Under
   * `consumer.` so that consumer roles may call it.
   */
  status: `${URI_PREFIX}.consumer.get_hub_status`,
} as const;

/** The two procedures every data node server named `node` registers. */
export function dataNodeProcedures(node: string): { getFields: string; getData: string } {
  return {
    getFields: `${URI_PREFIX}.consumer.${node}.get_fields`,
    getData: `${URI_PREFIX}.consumer.${node}.get_data`,
  };
}

/**
 * Topic (our addition, ignorable): a data node named `node` publishes it,
 * without arguments, when its field list changed, so that consumers read
 * get_fields again instead of polling it. Under `consumer.` so that
 * consumer roles may subscribe. Original nodes never publish it; original
 * consumers never subscribe.
 */
export function fieldsChangedTopic(node: string): string {
  return `${URI_PREFIX}.consumer.${node}.fields_changed`;
}

/** Wildcard pattern (match `wildcard`) of the fields_changed topics of nodes whose names have no dot. */
export const FIELDS_CHANGED_PATTERN = `${URI_PREFIX}.consumer..fields_changed`;

/**
 * Prefix (match `prefix`) of every topic under `consumer`: the hub's events
 * and every node's fields_changed, whatever its name (a name with dots
 * spans several URI components, which a wildcard does not match).
 */
export const CONSUMER_TOPICS = `${URI_PREFIX}.consumer.`;

/** The node name in a fields_changed topic, or null when the topic is not one. */
export function nodeOfFieldsChangedTopic(topic: string): string | null {
  const head = CONSUMER_TOPICS;
  const tail = '.fields_changed';
  if (!topic.startsWith(head) || !topic.endsWith(tail) || topic.length <= head.length + tail.length) return null;
  return topic.slice(head.length, topic.length - tail.length);
}

/** Error URIs sisock adds beside the WAMP ones. */
export const ERRORS = {
  /** a get_data request would return more than the node is willing to send */
  tooMuchData: `${URI_PREFIX}.error.too_much_data`,
} as const;

/** Standard WAMP error URIs that sisock components raise themselves. */
export const WAMP_ERRORS = {
  invalidArgument: 'wamp.error.invalid_argument',
  notAuthorized: 'wamp.error.not_authorized',
  noSuchProcedure: 'wamp.error.no_such_procedure',
  canceled: 'wamp.error.canceled',
  timeout: 'wamp.error.timeout',
} as const;

// The WAMP v2 message model: type codes and the shape of every message as it
// travels on the wire (a JSON array whose first element is the type code).
// Messages stay arrays end to end so the router never converts them to
// objects and back on the hot path; the tuple types below name each slot.

export const MessageType = {
  HELLO: 1,
  WELCOME: 2,
  ABORT: 3,
  CHALLENGE: 4,
  AUTHENTICATE: 5,
  GOODBYE: 6,
  ERROR: 8,
  PUBLISH: 16,
  PUBLISHED: 17,
  SUBSCRIBE: 32,
  SUBSCRIBED: 33,
  UNSUBSCRIBE: 34,
  UNSUBSCRIBED: 35,
  EVENT: 36,
  CALL: 48,
  CANCEL: 49,
  RESULT: 50,
  REGISTER: 64,
  REGISTERED: 65,
  UNREGISTER: 66,
  UNREGISTERED: 67,
  INVOCATION: 68,
  INTERRUPT: 69,
  YIELD: 70,
} as const;

export type MessageCode = (typeof MessageType)[keyof typeof MessageType];

/** A WAMP dictionary: a plain object with string keys. */
export type Dict = Record<string, unknown>;
/** Positional payload. */
export type Args = unknown[];

export type Hello = [1, string, Dict];
export type Welcome = [2, number, Dict];
export type Abort = [3, Dict, string];
export type Challenge = [4, string, Dict];
export type Authenticate = [5, string, Dict];
export type Goodbye = [6, Dict, string];
/** ERROR: [8, request type, request id, details, error uri, args?, kwargs?] */
export type ErrorMessage = [8, number, number, Dict, string, Args?, Dict?];
export type Publish = [16, number, Dict, string, Args?, Dict?];
export type Published = [17, number, number];
export type Subscribe = [32, number, Dict, string];
export type Subscribed = [33, number, number];
export type Unsubscribe = [34, number, number];
export type Unsubscribed = [35, number, Dict?];
/** EVENT: [36, subscription id, publication id, details, args?, kwargs?] */
export type Event = [36, number, number, Dict, Args?, Dict?];
export type Call = [48, number, Dict, string, Args?, Dict?];
export type Cancel = [49, number, Dict];
export type Result = [50, number, Dict, Args?, Dict?];
export type Register = [64, number, Dict, string];
export type Registered = [65, number, number];
export type Unregister = [66, number, number];
export type Unregistered = [67, number, Dict?];
/** INVOCATION: [68, request id, registration id, details, args?, kwargs?] */
export type Invocation = [68, number, number, Dict, Args?, Dict?];
export type Interrupt = [69, number, Dict];
export type Yield = [70, number, Dict, Args?, Dict?];

export type WampMessage =
  | Hello
  | Welcome
  | Abort
  | Challenge
  | Authenticate
  | Goodbye
  | ErrorMessage
  | Publish
  | Published
  | Subscribe
  | Subscribed
  | Unsubscribe
  | Unsubscribed
  | Event
  | Call
  | Cancel
  | Result
  | Register
  | Registered
  | Unregister
  | Unregistered
  | Invocation
  | Interrupt
  | Yield;

/** Message names by code, for logs and error texts. */
export const messageName: Record<number, string> = Object.fromEntries(
  Object.entries(MessageType).map(([name, code]) => [code, name]),
);

/** Largest WAMP id (2^53); ids live in [1, 2^53] (0 only where the spec allows it). */
export const MAX_ID = 2 ** 53;

/** Slots of each message type that carry WAMP ids (binary serializers write them as integers). */
export const ID_SLOTS: Record<number, readonly number[]> = {
  [MessageType.WELCOME]: [1],
  [MessageType.ERROR]: [2],
  [MessageType.PUBLISH]: [1],
  [MessageType.PUBLISHED]: [1, 2],
  [MessageType.SUBSCRIBE]: [1],
  [MessageType.SUBSCRIBED]: [1, 2],
  [MessageType.UNSUBSCRIBE]: [1, 2],
  [MessageType.UNSUBSCRIBED]: [1],
  [MessageType.EVENT]: [1, 2],
  [MessageType.CALL]: [1],
  [MessageType.CANCEL]: [1],
  [MessageType.RESULT]: [1],
  [MessageType.REGISTER]: [1],
  [MessageType.REGISTERED]: [1, 2],
  [MessageType.UNREGISTER]: [1, 2],
  [MessageType.UNREGISTERED]: [1],
  [MessageType.INVOCATION]: [1, 2],
  [MessageType.INTERRUPT]: [1],
  [MessageType.YIELD]: [1],
};

/**
 * Index of the Arguments element in the message types that carry a payload
 * (ArgumentsKw, when present, follows it and ends the message).
 */
export const PAYLOAD_INDEX: Record<number, number> = {
  [MessageType.ERROR]: 5,
  [MessageType.PUBLISH]: 4,
  [MessageType.EVENT]: 4,
  [MessageType.CALL]: 4,
  [MessageType.RESULT]: 3,
  [MessageType.INVOCATION]: 4,
  [MessageType.YIELD]: 3,
};

/** Standard error and close reasons (WAMP basic and advanced profile). */
export const WampErrors = {
  protocolViolation: 'wamp.error.protocol_violation',
  invalidUri: 'wamp.error.invalid_uri',
  noSuchProcedure: 'wamp.error.no_such_procedure',
  procedureAlreadyExists: 'wamp.error.procedure_already_exists',
  procedureExistsInvocationPolicyConflict: 'wamp.error.procedure_exists_with_different_invocation_policy',
  noSuchRegistration: 'wamp.error.no_such_registration',
  noSuchSubscription: 'wamp.error.no_such_subscription',
  noSuchSession: 'wamp.error.no_such_session',
  noSuchRealm: 'wamp.error.no_such_realm',
  noSuchRole: 'wamp.error.no_such_role',
  noSuchPrincipal: 'wamp.error.no_such_principal',
  invalidArgument: 'wamp.error.invalid_argument',
  payloadSizeExceeded: 'wamp.error.payload_size_exceeded',
  notAuthorized: 'wamp.error.not_authorized',
  authenticationFailed: 'wamp.error.authentication_failed',
  noAuthMethod: 'wamp.error.no_auth_method',
  canceled: 'wamp.error.canceled',
  timeout: 'wamp.error.timeout',
  optionNotAllowed: 'wamp.error.option_not_allowed',
  featureNotSupported: 'wamp.error.feature_not_supported',
  unavailable: 'wamp.error.unavailable',
  systemShutdown: 'wamp.close.system_shutdown',
  closeRealm: 'wamp.close.close_realm',
  goodbyeAndOut: 'wamp.close.goodbye_and_out',
  killed: 'wamp.close.killed',
  normal: 'wamp.close.normal',
} as const;

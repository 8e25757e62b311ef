// The WAMP v2 protocol core: messages, validation, serializers, URIs and the
// cryptography of authentication. Knows nothing of routers or of sisock.
export * from './messages.js';
export * from './validation.js';
export * from './serializers.js';
export * from './payload.js';
export { MAX_PAYLOAD_NESTING, type WireFormat, type MessageLayout } from './format.js';
export { scanJsonMessage } from './json-format.js';
export { scanMsgpackMessage } from './msgpack-format.js';
export { scanCborMessage } from './cbor-format.js';
export * from './uri.js';
export * from './crypto.js';

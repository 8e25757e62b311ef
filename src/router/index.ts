// The WAMP v2 router: public surface for the CLI and for tests.
export { Router, type RouterOptions } from './router.js';
export type { ListenerAddress } from './transport/websocket.js';
export * from './config.js';
export { loadCrossbarConfig, parseCrossbarConfig, ConfigError, type LoadedConfig } from './crossbar-config.js';
export { loadRouterConfigFile, parseRouterConfig } from './config-file.js';

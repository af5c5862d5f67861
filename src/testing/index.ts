/**
 * Test helpers for module authors and adapter writers (`retailcrm-module-kit/testing`).
 * @module
 */
export { describeConnectionStore, sampleConnectInput, type ConnectionStoreCapabilities } from './store-battery.js';

export * from "./endpoints.js";
export * from "./raw-client.js";
export * from "./protocol.js";
export * from "./server-under-test.js";
export * from "./version.js";
export * from "./wire-vectors.js";
export * from "./zmtp-peer.js";

/**
 * Conformance, protocol tier, once per protocol version a client generated here speaks (newest
 * first): the suite itself is in protocol-suite.ts.
 */
import { CLIENT_VERSIONS } from "@stui/client/protocol";
import { describeProtocolConformance } from "./protocol-suite.js";

for (const version of CLIENT_VERSIONS) describeProtocolConformance(version);

import { startTestServer, type TestServer, type TestServerOptions } from "@stui/testkit";
import { uniqueEndpoint, type Transport } from "./endpoints.js";

/** A server a suite runs against: a reference test server it started, or an external one. */
export interface Target {
  label: string;
  endpoint: string;
  /** The reference server, when the suite started one (undefined for an external server). */
  reference: TestServer | undefined;
  close(): Promise<void>;
}

/**
 * `STUI_ENDPOINT`, when the suites should run against an external server — only when asked for
 * with `STUI_EXTERNAL_SERVER=1` (which `npm run test:conformance` sets). STUI_ENDPOINT is also
 * where the client and `stui` connect, so a person who exported it for their image must not have
 * `npm test` send it 10,000 fuzz cases.
 */
export const EXTERNAL_ENDPOINT: string | undefined =
  process.env["STUI_EXTERNAL_SERVER"] === "1" ? process.env["STUI_ENDPOINT"] || undefined : undefined;
if (!EXTERNAL_ENDPOINT && process.env["STUI_ENDPOINT"]) {
  console.warn(
    `STUI_ENDPOINT=${process.env["STUI_ENDPOINT"]} is ignored here: these suites run against their own reference server. ` +
      "To aim them at that server: STUI_ENDPOINT=… npm run test:conformance (or STUI_EXTERNAL_SERVER=1 for another suite).",
  );
}

/**
 * The targets to loop over: the external server (STUI_ENDPOINT) once, or a reference server per
 * transport.
 */
export function targetPlans(transports: readonly Transport[]): { label: string; transport: Transport | undefined }[] {
  if (EXTERNAL_ENDPOINT) return [{ label: `external server at ${EXTERNAL_ENDPOINT}`, transport: undefined }];
  return transports.map((transport) => ({ label: `reference server over ${transport}`, transport }));
}

/** Opens a target: connects nowhere yet, just knows the endpoint (starting a reference server if needed). */
export async function openTarget(transport: Transport | undefined, options: TestServerOptions = {}): Promise<Target> {
  if (transport === undefined) {
    if (!EXTERNAL_ENDPOINT) throw new Error("openTarget: no transport and no external server (STUI_EXTERNAL_SERVER=1 and STUI_ENDPOINT)");
    return { label: EXTERNAL_ENDPOINT, endpoint: EXTERNAL_ENDPOINT, reference: undefined, close: async () => {} };
  }
  const server = await startTestServer({ ...options, endpoint: uniqueEndpoint(transport) });
  return { label: `reference server at ${server.endpoint}`, endpoint: server.endpoint, reference: server, close: () => server.close() };
}

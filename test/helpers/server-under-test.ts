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

/** `STUI_ENDPOINT`, when the suites should run against an external server. */
export const EXTERNAL_ENDPOINT: string | undefined = process.env["STUI_ENDPOINT"] || undefined;

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
    if (!EXTERNAL_ENDPOINT) throw new Error("openTarget: no transport and no STUI_ENDPOINT");
    return { label: EXTERNAL_ENDPOINT, endpoint: EXTERNAL_ENDPOINT, reference: undefined, close: async () => {} };
  }
  const server = await startTestServer({ ...options, endpoint: uniqueEndpoint(transport) });
  return { label: `reference server at ${server.endpoint}`, endpoint: server.endpoint, reference: server, close: () => server.close() };
}

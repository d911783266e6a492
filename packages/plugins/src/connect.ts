// The real connection, through @stui/client. Imported lazily so `stui --help`,
// `stui list` and build errors never load ZeroMQ.

import type { Connector, HostConnection } from "./host.js";
import { isStuiError } from "./script-api.js";

export const DEFAULT_ENDPOINT = "tcp://127.0.0.1:5555";

/** The endpoint a command will use: the option, else STUI_ENDPOINT, else the default. */
export function resolveEndpoint(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return option ?? env.STUI_ENDPOINT ?? DEFAULT_ENDPOINT;
}

export function clientConnector(endpoint: string): Connector {
  return async () => {
    const { connect } = await import("@stui/client");
    const client = await connect({ endpoint });
    return {
      call: (method, params, options) => client.call(method, params, options),
      // async: a close that throws synchronously still becomes a rejection the host handles.
      close: async () => {
        await client.close();
      },
    };
  };
}

/**
 * The host's first ping: `limitMs` bounds every attempt together (the client re-sends a timed-out
 * ping; the signal stops them all). When the time runs out the client says only "ping aborted",
 * so that becomes "no answer to ping within <limitMs> ms" for the user.
 */
export async function firstPing(conn: HostConnection, limitMs: number): Promise<void> {
  try {
    await conn.call("ping", {}, { timeoutMs: limitMs, signal: AbortSignal.timeout(limitMs) });
  } catch (error) {
    throw isStuiError(error, "EABORTED") ? new Error(`no answer to ping within ${limitMs} ms`, { cause: error }) : error;
  }
}

// The real connection, through @stui/client. Imported lazily so `stui --help`,
// `stui list` and build errors never load ZeroMQ.

import type { Connector } from "./connection.js";

export const DEFAULT_ENDPOINT = "tcp://127.0.0.1:5555";

/** The endpoint a command will use: the option, else STUI_ENDPOINT, else the default. */
export function resolveEndpoint(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return option ?? env.STUI_ENDPOINT ?? DEFAULT_ENDPOINT;
}

export function clientConnector(endpoint: string): Connector {
  return async () => {
    const { connect } = await import("@stui/client");
    // Pipelined (one DEALER socket, many calls in flight): evaluate.cancel must reach the server
    // while the evaluation it stops still holds its call open (a REQ socket would queue it behind).
    const client = await connect({ endpoint, mode: "pipelined" });
    return {
      call: (method, params, options) => client.call(method, params, options),
      // async: a close that throws synchronously still becomes a rejection the host handles.
      close: async () => {
        await client.close();
      },
    };
  };
}

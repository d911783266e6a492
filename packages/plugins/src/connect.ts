// The real connection, through @stui/client. Imported lazily so `stui --help`,
// `stui list` and build errors never load ZeroMQ.

import type { Connector } from "./connection.js";

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

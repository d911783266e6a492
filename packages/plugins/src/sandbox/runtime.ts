// The sandbox side of `@stui/plugins`. The host's esbuild step resolves every
// `import … from "@stui/plugins"` in a script to this file, so a script gets the same
// names as the editor sees in src/index.ts, but calls travel over the channel (fd 3,
// length-prefixed JSON frames: ../channel.ts) to the host, which checks each one's
// permissions and forwards it to Pharo.
// Evaluated before the script's own modules (the generated entry imports it first).

import { Socket } from "node:net";
import { PROTOCOL_VERSION, createApi, type CallOptions, type CommandName, type Permission, type Transport } from "@stui/client/protocol";
import { CHANNEL_FD, FrameDecoder, encodeFrame } from "../channel.js";
import { NET_SOCKET_ENV, RUN_ENV, STUBS_ENV, deserializeError, serializeError, type ChildMessage, type HostMessage } from "../ipc.js";
import { StuiError, definePlugin, isPlugin, isRemoteError, isStuiError, type ScriptClient, type ScriptSession, type StuiScript } from "../script-api.js";
import { lockdown } from "./lockdown.js";

export { StuiError, definePlugin, isPlugin, isRemoteError, isStuiError };
export type * from "../script-api.js";

// Open the channel before the stubs go in (it is a socket on an inherited descriptor).
let channel: Socket | undefined;
try {
  channel = new Socket({ fd: CHANNEL_FD, readable: true, writable: true });
} catch {
  channel = undefined;
}
const granted = process.env[RUN_ENV];
if (process.env[STUBS_ENV] !== "off") lockdown({ netSocket: process.env[NET_SOCKET_ENV], run: granted === "*" ? "*" : granted ? granted.split(",") : undefined });

type Waiter = { resolve(value: unknown): void; reject(error: Error): void };

const send = (message: ChildMessage, then?: () => void): void => {
  if (!channel) throw new Error("@stui/plugins: this script must be run by `stui run`");
  channel.write(encodeFrame(message), () => then?.());
};

const pending = new Map<number, Waiter>();
let nextId = 1;
let refs = 0;
let onStart: (() => void) | undefined;

// The channel keeps the process alive only while the script waits for the host.
const ref = (): void => {
  if (refs++ === 0) channel?.ref();
};
const unref = (): void => {
  if (--refs === 0) channel?.unref();
};
channel?.unref();

// The host is trusted; a frame it cannot have sent still ends the script rather than confuse it.
const decoder = new FrameDecoder();
channel?.on("data", (chunk: Buffer) => {
  let messages: unknown[];
  try {
    messages = decoder.push(chunk);
  } catch {
    process.exit(70);
  }
  for (const m of messages) onHostMessage(m as HostMessage);
});
// The host is gone (killed, crashed): nobody is left to answer, so the script ends too.
channel?.on("end", () => process.exit(70));
channel?.on("error", () => process.exit(70));

function onHostMessage(m: HostMessage): void {
  if (m.t === "start") {
    onStart?.();
    return;
  }
  if (m.t !== "result") return;
  const waiter = pending.get(m.id);
  if (!waiter) return;
  pending.delete(m.id);
  unref();
  if (m.ok) waiter.resolve(m.value);
  else waiter.reject(deserializeError(m.error));
}

/**
 * The error a failed call rejects with, carrying the stack of the call itself (where the script
 * made it), not of the channel's data handler that received the answer. The child runs with
 * --enable-source-maps, so its frames name the script's own files and lines.
 */
function atCallSite(error: Error, callSite: Error): Error {
  const frames = (callSite.stack ?? "").split("\n").slice(1).join("\n");
  error.stack = `${error.name}: ${error.message}${frames ? `\n${frames}` : ""}`;
  return error;
}

/** What an aborted call rejects with: a StuiError EABORTED (as @stui/client's), the signal's reason as its cause. */
function aborted(message: { t: string; method?: string }, signal: AbortSignal, callSite: Error): Error {
  const what = message.t === "call" ? message.method : "permissions.has";
  return atCallSite(new StuiError("EABORTED", `${what} aborted`, undefined, undefined, { cause: signal.reason }), callSite);
}

function request(message: { t: "call"; method: string; params: unknown; timeoutMs?: number } | { t: "has"; permission: string }, signal?: AbortSignal): Promise<unknown> {
  const callSite = new Error();
  if (signal?.aborted) return Promise.reject(aborted(message, signal, callSite));
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject: (error) => reject(atCallSite(error, callSite)) });
    ref();
    signal?.addEventListener(
      "abort",
      () => {
        if (pending.delete(id)) {
          unref();
          reject(aborted(message, signal, callSite));
          // The host abandons the call too: its connection is free for the next one at once.
          if (message.t === "call") send({ t: "cancel", id });
        }
      },
      { once: true },
    );
    send({ ...message, id } as ChildMessage);
  });
}

const transport: Transport = {
  call(method: CommandName, params: unknown, options?: CallOptions) {
    const message = { t: "call" as const, method, params: params ?? {}, ...(options?.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) };
    return request(message, options?.signal) as never;
  },
};

const client = Object.assign(createApi(transport), { call: transport.call.bind(transport) }) as ScriptClient;

/**
 * Every minor of PROTOCOL_VERSION's major, newest first: what @stui/client's CLIENT_VERSIONS
 * says, computed here because the sandbox bundle takes only the light generated files.
 */
const CLIENT_VERSIONS = (([major, minor]) => Array.from({ length: minor! + 1 }, (_, i) => `${major}.${minor! - i}`))(PROTOCOL_VERSION.split(".").map(Number));

let sessionId: Promise<string> | undefined;
const clientName = (process.env.STUI_CLIENT_NAME ?? "stui run").slice(0, 128) || "stui run";

const session: ScriptSession = {
  id() {
    // Every version this runtime speaks, so an older server picks the best it shares.
    sessionId ??= client.session.create({ clientName, protocolVersions: CLIENT_VERSIONS }).then(
      (r) => r.sessionId,
      (error: unknown) => {
        sessionId = undefined;
        throw error;
      },
    );
    return sessionId;
  },
  async evaluate(code, options, callOptions) {
    return client.evaluate({ ...options, code, sessionId: await session.id() }, callOptions);
  },
  async inspect(params, options) {
    return client.inspect({ ...params, sessionId: await session.id() }, options);
  },
  async restore() {
    return client.session.restore({ sessionId: await session.id() });
  },
  async release(handles) {
    return client.handles.release({ sessionId: await session.id(), handles: [...handles] });
  },
  async close() {
    const id = sessionId;
    sessionId = undefined;
    if (id) await client.session.close({ sessionId: await id });
  },
};

const stuiObject: StuiScript = Object.freeze({
  client,
  session,
  args: Object.freeze(process.argv.slice(2)),
  permissions: Object.freeze({ has: (permission: Permission) => request({ t: "has", permission }) as Promise<boolean> }),
});

Object.defineProperty(globalThis, "stui", { value: stuiObject, writable: false, configurable: false, enumerable: false });

let reported = false;
function fail(error: unknown): void {
  if (reported) return;
  reported = true;
  process.exitCode = 1;
  send({ t: "error", error: serializeError(error) }, () => process.exit(1));
}
process.on("uncaughtException", fail);

/** Called by the generated entry once the script module has been evaluated. @internal */
export async function __stuiStart(script: { default?: unknown }): Promise<void> {
  const plugin = script.default;
  if (isPlugin(plugin)) {
    // The host compares this with the declaration it read from the source, and starts the
    // plugin only if they are the same.
    const declaration = { t: "plugin" as const, name: plugin.name, description: plugin.description, permissions: [...plugin.permissions] };
    ref();
    await new Promise<void>((resolve) => {
      onStart = resolve;
      send(declaration);
    });
    unref();
    try {
      await plugin.run(stuiObject);
    } catch (error) {
      return fail(error);
    }
  }
  if (!reported) send({ t: "done" });
}

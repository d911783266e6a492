// @stui/plugins: what a script imports. In a script run by `stui run`, this import
// is resolved to the sandbox runtime (src/sandbox/runtime.ts), which exports the same
// names; here, for editors, type checks and the host, it exports the shared pieces.
//
//   import { definePlugin } from "@stui/plugins";
//   export default definePlugin({ name: "hello", description: "…", permissions: ["read", "eval"],
//     run: async (stui) => console.log((await stui.session.evaluate("3 + 4")).value.printString) });

export { StuiError, definePlugin, isPlugin, isRemoteError, isStuiError } from "./script-api.js";
export type { Plugin, PluginDefinition, RemoteError, ScriptClient, ScriptSession, SessionEvaluateOptions, StuiErrorCode, StuiScript } from "./script-api.js";
export type { Permission } from "@stui/client/protocol";

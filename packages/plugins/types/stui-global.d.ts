// The global `stui` object of a plain (non-plugin) script run by `stui run`.
// Reference it at the top of a script for editor completion and type checks:
//   /// <reference types="@stui/plugins/global" />

import type { StuiScript } from "@stui/plugins";

declare global {
  /** The scripting host's object: `client` (every protocol command), `session`, `args`. */
  const stui: StuiScript;
}

export {};

// Grants for one run, in the protocol's own vocabulary: the permission classes of
// x-stui-permissions, and each call's needs from the generated permissionsFor().
// Nothing here lists commands by hand.
//
// Order of the checks for one needed class (first match wins):
//   1. --deny-<class>                    → denied (deny beats every allow, and is never asked)
//   2. a plugin that did not declare it  → denied
//   3. --allow-<class> / --allow-all, an approved plugin declaration,
//      or "always" answered at a prompt  → granted
//   4. "no" answered at a prompt         → denied for the rest of the run (asked once)
//   5. otherwise                         → ask on a TTY, denied without one

import { PERMISSIONS, isCommandName, permissionsFor, type CommandName, type Permission } from "@stui/client/protocol";
import { printable } from "./terminal-text.js";

/** The permission classes, in schema order (generated, never listed by hand). */
export const PERMISSION_CLASSES = Object.keys(PERMISSIONS) as Permission[];

export function isPermission(value: string): value is Permission {
  return Object.prototype.hasOwnProperty.call(PERMISSIONS, value);
}

export interface GrantFlags {
  allow: ReadonlySet<Permission>;
  deny: ReadonlySet<Permission>;
}

export type DenyReason = "denied-by-flag" | "not-granted" | "refused-at-prompt" | "undeclared";

export type Check = { kind: "granted" } | { kind: "ask" } | { kind: "denied"; reason: DenyReason };

export type PromptAnswer = "yes" | "no" | "always";

/**
 * Asks a person; absent when nobody can answer (no TTY). A question the person ends without an
 * answer (Ctrl-D), or that `signal` withdraws (the script is gone), counts as "no".
 */
export interface Prompter {
  ask(question: string, signal?: AbortSignal): Promise<PromptAnswer>;
  confirm(question: string, signal?: AbortSignal): Promise<boolean>;
}

export type Authorization =
  | { ok: true }
  | { ok: false; method: string; permission: Permission; reason: DenyReason; message: string };

export interface PluginDeclaration {
  name: string;
  description: string;
  permissions: Permission[];
}

export class Grants {
  readonly #flags: GrantFlags;
  readonly #always = new Set<Permission>();
  readonly #refused = new Set<Permission>();
  #declaration: PluginDeclaration | undefined;
  /** Serialises prompts: one question on the terminal at a time. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(flags: GrantFlags) {
    this.#flags = flags;
  }

  get declaration(): PluginDeclaration | undefined {
    return this.#declaration;
  }

  /** The script is a plugin: only what it declares can ever be granted. */
  declare(declaration: PluginDeclaration): void {
    this.#declaration = declaration;
  }

  /** A person approved the plugin's declaration: grant every declared class not denied by a flag. */
  approveDeclaration(): void {
    for (const p of this.#declaration?.permissions ?? []) if (!this.#flags.deny.has(p)) this.#always.add(p);
  }

  /** Declared classes that flags neither grant nor deny (what approval would add). */
  declaredButNotGranted(): Permission[] {
    return (this.#declaration?.permissions ?? []).filter((p) => !this.#flags.deny.has(p) && !this.#flags.allow.has(p) && !this.#always.has(p));
  }

  check(permission: Permission): Check {
    if (this.#flags.deny.has(permission)) return { kind: "denied", reason: "denied-by-flag" };
    if (this.#declaration && !this.#declaration.permissions.includes(permission)) return { kind: "denied", reason: "undeclared" };
    if (this.#flags.allow.has(permission) || this.#always.has(permission)) return { kind: "granted" };
    if (this.#refused.has(permission)) return { kind: "denied", reason: "refused-at-prompt" };
    return { kind: "ask" };
  }

  /** Whether a call needing `permission` would go through without a question. */
  has(permission: Permission): boolean {
    return this.check(permission).kind === "granted";
  }

  /**
   * Decide one call: every class permissionsFor() names must be granted. Asks the
   * prompter (one question at a time) for classes neither granted nor denied.
   */
  authorize(method: string, params: unknown, prompter: Prompter | undefined, signal?: AbortSignal): Promise<Authorization> {
    if (!isCommandName(method)) {
      // No permission class applies to a name the schema does not define; the host refuses such a
      // call before it gets here, and the client would refuse to encode it.
      return Promise.resolve({ ok: true });
    }
    const needed = permissionsFor(method, typeof params === "object" && params !== null ? params : undefined);
    const run = async (): Promise<Authorization> => {
      for (const permission of needed) {
        let check = this.check(permission);
        if (check.kind === "ask") {
          if (!prompter) {
            check = { kind: "denied", reason: "not-granted" };
          } else {
            const answer = signal?.aborted ? "no" : await prompter.ask(promptText(method, permission, this.#declaration), signal);
            if (answer === "always") this.#always.add(permission);
            if (answer === "no") this.#refused.add(permission);
            check = answer === "no" ? { kind: "denied", reason: "refused-at-prompt" } : { kind: "granted" };
          }
        }
        if (check.kind === "denied") {
          return { ok: false, method, permission, reason: check.reason, message: denialMessage(method, permission, check.reason, this.#declaration) };
        }
      }
      return { ok: true };
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}

export function allowFlag(p: Permission): string {
  return `--allow-${p}`;
}

export function denyFlag(p: Permission): string {
  return `--deny-${p}`;
}

function promptText(method: CommandName, permission: Permission, declaration: PluginDeclaration | undefined): string {
  const who = declaration ? `Plugin "${printable(declaration.name)}"` : "The script";
  return `${who} calls ${method}, which needs the "${permission}" permission: ${PERMISSIONS[permission]}\nAllow? y = this call, n = refuse for this run, a = always for this run [y/n/a]`;
}

/** The message a refused call rejects with; it always says how to get the permission. */
export function denialMessage(method: string, permission: Permission, reason: DenyReason, declaration?: PluginDeclaration): string {
  const head = `permission denied: ${method} needs the "${permission}" permission`;
  switch (reason) {
    case "denied-by-flag":
      return `${head}, which ${denyFlag(permission)} refuses (remove ${denyFlag(permission)} to allow it)`;
    case "undeclared":
      return `${head}, which plugin "${declaration?.name ?? "?"}" does not declare: add "${permission}" to its permissions`;
    case "refused-at-prompt":
      return `${head}, which was refused at the prompt for this run (run again with ${allowFlag(permission)})`;
    case "not-granted":
      return `${head}: run again with ${allowFlag(permission)}`;
  }
}

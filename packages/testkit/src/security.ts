import { SystemInfoSection, type SystemInfoParams, type SystemInfoResult } from "@stui/client/protocol";
import { ProtocolError } from "./protocol-error.js";

/** What system.info's `security` section reports (protocol 1.1): a fact of the server, not of Smalltalk. */
export type SecurityFacts = NonNullable<SystemInfoResult["security"]>;

/** Every section of the schema's SystemInfoSection, in schema order. */
const ALL_SECTIONS: readonly string[] = SystemInfoSection.anyOf.map((member) => String(member.const));
/** What system.info answers when no sections are asked for: all but packages (the schema's description). */
export const DEFAULT_SECTIONS: readonly string[] = ALL_SECTIONS.filter((section) => section !== "packages");

type Handler = (params: SystemInfoParams, context: never) => SystemInfoResult | Promise<SystemInfoResult>;

/**
 * system.info as a server answers it: the `security` section from `facts` (the server's own
 * knowledge — the reference server passes its securityStats(): how it authenticates, how many
 * peers failed the handshake), every other section from the image — here, the test's handler.
 * With no handler, a request for image sections is an internalError, as for any Smalltalk command.
 */
export function withSecuritySection(handler: Handler | undefined, facts: () => SecurityFacts, noImage: string): Handler {
  return async (params, context) => {
    const sections = params.sections ?? DEFAULT_SECTIONS;
    const imageSections = sections.filter((section) => section !== "security");
    let result: SystemInfoResult = {};
    if (imageSections.length > 0) {
      if (!handler) throw new ProtocolError("internalError", { detail: noImage });
      result = await handler({ ...params, sections: imageSections as SystemInfoParams["sections"] }, context);
    }
    return sections.includes("security") ? { ...result, security: facts() } : result;
  };
}

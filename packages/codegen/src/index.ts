export * from "./schema.js";
export * from "./header.js";
export * from "./generate.js";
export * from "./repo.js";
export { typescriptFiles, indentByBrackets } from "./targets/typescript.js";
export { validatorFiles, createAjv, STUI_KEYWORDS } from "./targets/validators.js";
export { pharoFiles, errorClassName, PHARO_PACKAGE } from "./targets/pharo.js";
export { docsFile } from "./targets/docs.js";
export * from "./compat.js";

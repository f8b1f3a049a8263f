/** Codes that were once in the catalogue. They stay here forever so that no new error reuses them. */
export const retiredErrorCodes: readonly string[] = [];

/**
 * Bad input: config, templates, targets, arguments. The CLI prints the
 * message and the hint and exits 2 before anything touches a cluster.
 */
export class InputError extends Error {
  readonly hint?: string;

  constructor(message: string, hint?: string) {
    super(message);
    this.name = "InputError";
    this.hint = hint;
  }
}

/** Exit codes of the CLI, as DESIGN.md fixes them. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

/**
 * ARM's error answer: `{"error": {"code", "message"}}` with an HTTP status; AKS adds the field at
 * fault (`target`) and a finer reason (`subcode`) to some of its 400s.
 */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly detail: { target?: string; subcode?: string } = {},
  ) {
    super(message);
    this.name = "ArmError";
  }

  body(): { error: { code: string; message: string; target?: string; subcode?: string } } {
    return { error: { code: this.code, message: this.message, ...this.detail } };
  }
}

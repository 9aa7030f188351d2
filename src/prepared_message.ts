const encoder = new TextEncoder();

/**
 * A message prepared once for many sockets (what a publish sends): a text's UTF-8 bytes are
 * made on first use and shared by every socket that writes raw frames (Node's), instead of
 * each encoding the string again. uWebSockets' `PreparedMessage` is the model. Nothing is kept
 * past the publish: the object lives as long as the fan-out holds it.
 */
export class PreparedMessage {
  /** What was published: text as a string, binary as bytes. */
  readonly message: string | Uint8Array;
  #bytes: Uint8Array | undefined;

  constructor(message: string | Uint8Array) {
    this.message = message;
  }

  /** Whether the message is binary (a text otherwise). */
  get isBinary(): boolean {
    return typeof this.message !== "string";
  }

  /** The payload bytes: a binary message itself, a text's UTF-8 (encoded on the first call only). */
  get bytes(): Uint8Array {
    const m = this.message;
    return typeof m === "string" ? (this.#bytes ??= encoder.encode(m)) : m;
  }
}

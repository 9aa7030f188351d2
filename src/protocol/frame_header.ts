/** The checks on a frame's first two bytes (RFC 6455 §5.2), as one pure function. */
import { CloseCode } from "../close_codes.ts";
import { WebSocketError } from "../errors.ts";
import { isControl, Opcode } from "./opcodes.ts";

/** What the checks need beyond the two bytes. */
export interface HeaderContext {
  /** Data frames of the fragmented message under way, or `undefined` when none is. */
  readonly fragments: number | undefined;
  readonly maxFragments: number;
  readonly allowUnmasked: boolean;
  /** permessage-deflate was negotiated: RSV1 marks a compressed message (RFC 7692 §6). */
  readonly deflate: boolean;
}

/** Why a frame starting with `b0 b1` fails the connection, or `undefined` when it may be read. */
export function headerProblem(b0: number, b1: number, context: HeaderContext): WebSocketError | undefined {
  const fin = (b0 & 0x80) !== 0;
  const opcode = b0 & 0x0f;
  const length = b1 & 0x7f;
  // §5.2: RSV1-3 must be 0 unless an extension defines them. permessage-deflate defines RSV1,
  // on the first frame of a data message only (RFC 7692 §6.1).
  const rsv1 = (b0 & 0x40) !== 0;
  if ((b0 & 0x30) !== 0 || (rsv1 && !context.deflate)) return protocolError("Reserved bits set without an extension");
  if (rsv1 && opcode !== Opcode.TEXT && opcode !== Opcode.BINARY) return protocolError("RSV1 set on a control or continuation frame");
  if (isControl(opcode)) {
    if (opcode > Opcode.PONG) return protocolError(`Reserved opcode ${opcode}`);
    // §5.5: control frames are never fragmented and carry at most 125 bytes.
    if (!fin) return protocolError("Fragmented control frame");
    if (length > 125) return protocolError("Control frame payload over 125 bytes");
  } else if (opcode === Opcode.CONTINUATION) {
    if (context.fragments === undefined) return protocolError("Continuation frame without a message to continue");
    // Each fragment costs a little even when empty: a message may not come in endless pieces.
    if (context.fragments >= context.maxFragments) {
      return new WebSocketError(CloseCode.POLICY_VIOLATION, `Message in more than ${context.maxFragments} fragments`);
    }
  } else if (opcode === Opcode.TEXT || opcode === Opcode.BINARY) {
    // §5.4: fragments of one message are not interleaved with another message.
    if (context.fragments !== undefined) return protocolError("New data frame inside a fragmented message");
  } else {
    return protocolError(`Reserved opcode ${opcode}`);
  }
  // §5.1: a server must fail a connection whose client frames are not masked.
  if ((b1 & 0x80) === 0 && !context.allowUnmasked) return protocolError("Unmasked client frame");
  return undefined;
}

// A function, not a closure per call: the header of every frame passes through here.
function protocolError(message: string): WebSocketError {
  return new WebSocketError(CloseCode.PROTOCOL_ERROR, message);
}

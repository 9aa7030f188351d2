/** Frame opcodes (RFC 6455 §5.2). 3-7 and 11-15 are reserved. */
export const Opcode = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

/** Control frames have the high bit of the opcode set (§5.5). */
export function isControl(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

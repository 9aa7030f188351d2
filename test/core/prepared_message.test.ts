/** A message prepared for a publish: a text is encoded once, however many sockets ask. */
import { describe, expect, it } from "vitest";
import { PreparedMessage } from "../../src/prepared_message.ts";

describe("PreparedMessage", () => {
  it("a text's UTF-8 bytes are made on the first call and shared after it", () => {
    const p = new PreparedMessage("héllo 😀");
    expect(p.isBinary).toBe(false);
    const bytes = p.bytes;
    expect(new TextDecoder().decode(bytes)).toBe("héllo 😀");
    expect(p.bytes).toBe(bytes);
  });

  it("a binary message is its own bytes, never copied", () => {
    const data = Uint8Array.of(1, 2, 3);
    const p = new PreparedMessage(data);
    expect(p.isBinary).toBe(true);
    expect(p.bytes).toBe(data);
  });
});

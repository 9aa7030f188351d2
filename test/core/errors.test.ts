/** `WebSocketError`: a stable `name` per close code, for `onerror` to match on. */
import { describe, expect, it } from "vitest";
import { CloseCode } from "../../src/close_codes.ts";
import { handlerError, slowReaderError, WebSocketError } from "../../src/errors.ts";

describe("WebSocketError", () => {
  it.each([
    [CloseCode.PROTOCOL_ERROR, "ProtocolError"],
    [CloseCode.ABNORMAL, "ConnectionLostError"],
    [CloseCode.INVALID_PAYLOAD, "InvalidPayloadError"],
    [CloseCode.POLICY_VIOLATION, "PolicyViolationError"],
    [CloseCode.MESSAGE_TOO_BIG, "MessageTooBigError"],
    [CloseCode.INTERNAL_ERROR, "HandlerError"],
  ])("code %s is named %s", (code, name) => {
    const error = new WebSocketError(code, "why");
    expect([error.name, error.code, error.message]).toEqual([name, code, "why"]);
    expect(error).toBeInstanceOf(Error);
  });

  it("a code with no name of its own is a plain WebSocketError", () => {
    expect(new WebSocketError(CloseCode.GOING_AWAY, "bye").name).toBe("WebSocketError");
  });

  it("the slow-reader failure is a 1008 that names the bound", () => {
    const error = slowReaderError(4096);
    expect([error.code, error.name]).toEqual([1008, "PolicyViolationError"]);
    expect(error.message).toBe("Send buffer over 4096 bytes: the client reads too slowly");
  });

  it("a handler failure is a 1011 that names the handler and keeps what it threw as the cause", () => {
    const thrown = new Error("boom");
    const error = handlerError("onopen", thrown);
    expect([error.code, error.name, error.message, error.cause]).toEqual([1011, "HandlerError", "onopen handler threw: boom", thrown]);
    expect(handlerError("onmessage", "plain").message).toBe("onmessage handler threw: plain");
  });
});

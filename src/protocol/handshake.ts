/**
 * The server side of the opening handshake (RFC 6455 §4.2), on web-standard APIs only.
 */

/** The GUID RFC 6455 §1.3 concatenates with the client key. */
export const ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** What the handshake reads headers through: a `Headers`, or an adapter's lighter equivalent (lower-case names, repeats joined with ", "). */
export type HeaderReader = Pick<Headers, "get">;

/** Why a request cannot be upgraded: the HTTP answer to give instead. */
export interface HandshakeProblem {
  status: 400 | 426;
  message: string;
  headers?: Record<string, string>;
}

/** Whether a comma-separated header holds `token` (case-insensitive), as `Connection: keep-alive, Upgrade`. */
export function hasToken(header: string | null, token: string): boolean {
  if (!header) return false;
  // The usual header is the token alone (`websocket`, `Upgrade`): compared without a split. Of
  // the token's length, a header can hold it only as the whole value.
  if (header.length === token.length) return header.toLowerCase() === token;
  for (const part of header.split(",")) {
    if (part.trim().toLowerCase() === token) return true;
  }
  return false;
}

/** Whether the request asks for a WebSocket upgrade at all (`Upgrade: websocket`). */
export function isUpgradeRequest(headers: HeaderReader): boolean {
  return hasToken(headers.get("upgrade"), "websocket");
}

/**
 * Validates an upgrade request (§4.2.1). Returns the problem to answer with, or `undefined`
 * when the request is a well-formed version-13 handshake.
 */
export function checkHandshake(method: string, headers: HeaderReader): HandshakeProblem | undefined {
  if (!isUpgradeRequest(headers)) {
    return {
      status: 426,
      message: "This route only speaks WebSocket: send an Upgrade: websocket request",
      headers: { upgrade: "websocket", connection: "Upgrade" },
    };
  }
  if (method !== "GET") return { status: 400, message: "A WebSocket handshake must use GET" };
  if (!hasToken(headers.get("connection"), "upgrade")) {
    return { status: 400, message: "A WebSocket handshake needs Connection: Upgrade" };
  }
  const version = versionProblem(headers);
  if (version) return version;
  if (!isValidKey(headers.get("sec-websocket-key"))) {
    return { status: 400, message: "Sec-WebSocket-Key must be 16 bytes in base64" };
  }
  return undefined;
}

/**
 * Validates a WebSocket over HTTP/2 (RFC 8441 §5): an extended CONNECT whose `:protocol` is
 * `websocket` (the adapter checks that). There is no Upgrade, Connection or key; the version
 * must still be 13.
 */
export function checkExtendedConnect(headers: HeaderReader): HandshakeProblem | undefined {
  return versionProblem(headers);
}

/** 426 naming the one version spoken, unless the request asks for version 13 (both protocols). */
function versionProblem(headers: HeaderReader): HandshakeProblem | undefined {
  if (headers.get("sec-websocket-version")?.trim() === "13") return undefined;
  return {
    status: 426,
    message: "Unsupported Sec-WebSocket-Version: only version 13 is spoken",
    headers: { "sec-websocket-version": "13" },
  };
}

const KEY = /^[A-Za-z0-9+/]{22}==$/;

/** A key is the base64 encoding of 16 bytes (§4.1): exactly 22 characters and `==`. */
export function isValidKey(key: string | null): key is string {
  return key !== null && KEY.test(key.trim());
}

/** The client's offered subprotocols (`Sec-WebSocket-Protocol`), in order, trimmed. */
export function offeredProtocols(headers: HeaderReader): string[] {
  const header = headers.get("sec-websocket-protocol");
  if (!header) return [];
  return header.split(",").map((p) => p.trim()).filter((p) => p !== "");
}

/**
 * The Jupyter wire protocol (messaging spec 5.3): how one message becomes ZeroMQ frames and back.
 * Frames: [routing ids..., '<IDS|MSG>', signature, header, parent_header, metadata, content, buffers...],
 * where the signature is HMAC-SHA256 (hex) over the four JSON frames, keyed by the connection file's key.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { userInfo } from 'node:os';

export const DELIMITER = Buffer.from('<IDS|MSG>');
export const PROTOCOL_VERSION = '5.3';

export type JsonObject = { [key: string]: unknown };

export interface Header {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
}

export interface Message {
  header: Header;
  /** The header of the request this message answers; `{}` for requests. */
  parent_header: Partial<Header>;
  metadata: JsonObject;
  content: JsonObject;
}

function username(): string {
  try {
    return userInfo().username;
  } catch {
    return 'd2l-ts';
  }
}

/** A request from this client: a fresh msg_id, no parent. */
export function request(session: string, msg_type: string, content: JsonObject): Message {
  return {
    header: {
      msg_id: randomUUID(),
      msg_type,
      session,
      username: username(),
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    },
    parent_header: {},
    metadata: {},
    content,
  };
}

function sign(key: string, parts: readonly Buffer[]): string {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest('hex');
}

export function encode(message: Message, key: string): Buffer[] {
  const parts = [message.header, message.parent_header, message.metadata, message.content].map((part) =>
    Buffer.from(JSON.stringify(part)),
  );
  return [DELIMITER, Buffer.from(sign(key, parts)), ...parts];
}

/** Parses and authenticates received frames; throws on a missing delimiter or a bad signature. */
export function decode(frames: readonly Buffer[], key: string): Message {
  const at = frames.findIndex((frame) => frame.equals(DELIMITER));
  if (at < 0 || frames.length < at + 6) throw new Error('malformed Jupyter message: no <IDS|MSG> frame');
  const signature = frames[at + 1];
  const parts = frames.slice(at + 2, at + 6);
  const expected = Buffer.from(sign(key, parts));
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
    throw new Error('Jupyter message with an invalid HMAC signature');
  }
  const [header, parent_header, metadata, content] = parts.map((part) => JSON.parse(part.toString('utf8')));
  return { header, parent_header, metadata, content };
}

/** An execute_request's content as Jupyter front ends send it: stored in history, stop on error. */
export function executeContent(code: string): JsonObject {
  return {
    code,
    silent: false,
    store_history: true,
    user_expressions: {},
    allow_stdin: false,
    stop_on_error: true,
  };
}

/**
 * The Jupyter wire protocol as the runner speaks it: framing and signing are src/kernel/wire.js (the
 * kernel's patches use the same code); here, the requests a client sends.
 */
import { userInfo } from 'node:os';
import { header, type JsonObject, type Message } from '../kernel/wire';

export { DELIMITER, PROTOCOL_VERSION, decode, encode } from '../kernel/wire';
export type { Header, JsonObject, Message } from '../kernel/wire';

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
    header: header(msg_type, session, username()),
    parent_header: {},
    metadata: {},
    content,
  };
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

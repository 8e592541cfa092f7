// @ts-check
// The Jupyter wire protocol (messaging spec 5.3): how one message becomes ZeroMQ frames and back, for
// the kernel's patches, the runner (src/runner/wire.ts re-exports it) and the tests' client alike.
// Frames: [routing ids..., '<IDS|MSG>', signature, header, parent_header, metadata, content, buffers...],
// where the signature is HMAC-SHA256 (hex) over the four JSON frames, keyed by the connection file's key.
// Plain JavaScript because the kernel runs without tsx; tsc checks it (checkJs).
'use strict';
const { createHmac, randomUUID, timingSafeEqual } = require('node:crypto');

const DELIMITER = Buffer.from('<IDS|MSG>');
const PROTOCOL_VERSION = '5.3';

/** @typedef {{ [key: string]: unknown }} JsonObject */
/**
 * @typedef {object} Header
 * @property {string} msg_id
 * @property {string} msg_type
 * @property {string} session
 * @property {string} username
 * @property {string} date
 * @property {string} version
 */
/**
 * @typedef {object} Message
 * @property {Header} header
 * @property {Partial<Header>} parent_header The header of the request this message answers; `{}` for requests.
 * @property {JsonObject} metadata
 * @property {JsonObject} content
 */

/**
 * @param {string} key
 * @param {readonly (Buffer | string)[]} parts
 * @returns {string}
 */
function sign(key, parts) {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest('hex');
}

/**
 * The frames of `message`, signed with `key`, after the routing ids of the peer it goes to (a kernel's
 * ROUTER socket needs the requester's ids; DEALER and PUB sockets need none).
 * @param {Message} message
 * @param {string} key
 * @param {readonly Buffer[]} [routingIds]
 * @returns {Buffer[]}
 */
function encode(message, key, routingIds = []) {
  const parts = [message.header, message.parent_header, message.metadata, message.content].map((part) =>
    Buffer.from(JSON.stringify(part)),
  );
  return [...routingIds, DELIMITER, Buffer.from(sign(key, parts)), ...parts];
}

/**
 * Parses and authenticates received frames; throws on a missing delimiter or a bad signature.
 * @param {readonly Buffer[]} frames
 * @param {string} key
 * @returns {Message}
 */
function decode(frames, key) {
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

/**
 * The routing ids in front of a message's frames (who sent it to a ROUTER socket).
 * @param {readonly Buffer[]} frames
 * @returns {Buffer[]}
 */
function routingIds(frames) {
  const at = frames.findIndex((frame) => frame.equals(DELIMITER));
  return at < 0 ? [] : frames.slice(0, at);
}

/**
 * A new message's header: a fresh msg_id, the time now, this protocol version.
 * @param {string} msgType
 * @param {string} session
 * @param {string} username
 * @returns {Header}
 */
function header(msgType, session, username) {
  return {
    msg_id: randomUUID(),
    msg_type: msgType,
    session,
    username,
    date: new Date().toISOString(),
    version: PROTOCOL_VERSION,
  };
}

/**
 * A kernel's message answering `parent` (a reply, a status, an output): same session and user.
 * @param {Header} parent
 * @param {string} msgType
 * @param {JsonObject} content
 * @returns {Message}
 */
function replyTo(parent, msgType, content) {
  return {
    header: header(msgType, parent.session, parent.username),
    parent_header: parent,
    metadata: {},
    content,
  };
}

module.exports = { DELIMITER, PROTOCOL_VERSION, sign, encode, decode, routingIds, header, replyTo };

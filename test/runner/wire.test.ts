/** wire.ts: Jupyter messages as ZeroMQ frames. */
import { decode, encode, request } from '../../src/runner/wire';

describe('wire', () => {
  it('signs with HMAC-SHA256 and refuses a message signed with another key', () => {
    const frames = encode(request('s', 'kernel_info_request', {}), 'key-a');
    expect(decode(frames, 'key-a').header.msg_type).toBe('kernel_info_request');
    expect(() => decode(frames, 'key-b')).toThrow(/invalid HMAC/);
  });
});

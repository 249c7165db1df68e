// A minimal Kafka client over our own codecs, for tests that need exact control of the
// bytes on the wire (versions, malformed frames) or read without a consumer group.
import net from 'node:net';
import { decodeResponseHeader, encodeRequestHeader, requestHeaderVersion, responseHeaderVersion } from '../../src/protocol/messages/index.js';
import { Reader, Writer } from '../../src/protocol/primitives.js';

type Encoder<T> = (w: Writer, v: number, m: T) => void;
type Decoder<T> = (r: Reader, v: number) => T;

export class RawClient {
  private buffered = Buffer.alloc(0);
  private waiters: { resolve: (b: Buffer) => void; reject: (e: Error) => void }[] = [];
  private correlationId = 1;
  private closedError: Error | null = null;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => this.onData(d));
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.closedError = new Error('connection closed');
        for (const w of this.waiters.splice(0)) w.reject(this.closedError);
        resolve();
      });
    });
    socket.on('error', () => {});
  }

  static connect(bootstrap: string): Promise<RawClient> {
    const [host, port] = bootstrap.split(':');
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port: Number(port) }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private onData(d: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, d]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      this.waiters.shift()?.resolve(frame);
    }
  }

  /** Wait for the next response frame (without its size prefix). */
  nextFrame(): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Write bytes as they are. */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Frame a request with a v1/v2 header as the API's version needs. */
  encodeRequest<T>(apiKey: number, version: number, encode: Encoder<T>, body: T, correlationId = this.correlationId++): Buffer {
    const w = new Writer();
    const size = w.reserveInt32();
    encodeRequestHeader(w, requestHeaderVersion(apiKey, version), {
      requestApiKey: apiKey,
      requestApiVersion: version,
      correlationId,
      clientId: 'minikafka-test',
    });
    encode(w, version, body);
    w.patchInt32(size, w.length - 4);
    return w.toBuffer();
  }

  async request<Req, Res>(apiKey: number, version: number, encode: Encoder<Req>, decode: Decoder<Res>, body: Req): Promise<Res> {
    const correlationId = this.correlationId++;
    const reply = this.nextFrame();
    this.writeRaw(this.encodeRequest(apiKey, version, encode, body, correlationId));
    const frame = await reply;
    const r = new Reader(frame);
    const header = decodeResponseHeader(r, responseHeaderVersion(apiKey, version));
    if (header.correlationId !== correlationId) throw new Error(`correlation id ${header.correlationId}, expected ${correlationId}`);
    const res = decode(r, version);
    if (r.remaining() !== 0) throw new Error(`${r.remaining()} bytes left after decoding the response`);
    return res;
  }

  close(): void {
    this.socket.destroy();
  }
}

// A Web-Serial-like SerialPort over a TCP connection, so esptool-js's Transport (written for the
// browser's navigator.serial) runs unmodified in Node 20 against espfab-emu's socket:// devices.
//
// It implements exactly what Transport uses (see the cookbook, real-components.md §6):
//   open(options) / close(), readable (ReadableStream<Uint8Array>), writable
//   (WritableStream<Uint8Array>), setSignals({dataTerminalReady, requestToSend, break}),
//   getInfo() and the optional setBaudRate(baud), so a baud change is not a reconnect.
// Raw TCP has no modem lines: setSignals only records them (and calls the onSignals hook), so
// esptool-js is driven with its "no_reset" mode, as esptool is over socket://.
import net from "node:net";

export class TcpSerialPort {
  constructor(host, port, { onSignals = null, info = {} } = {}) {
    this.host = host;
    this.port = port;
    this.onSignals = onSignals;
    this.info = info;  // no USB VID/PID: a plain USB-UART bridge, not USB-Serial/JTAG
    this.socket = null;
    this.readable = null;
    this.writable = null;
    this.baudRate = 0;
    this.signals = { dataTerminalReady: false, requestToSend: false, break: false };
    this.bytesIn = 0;
    this.bytesOut = 0;
  }

  async open(options = {}) {
    if (this.socket) throw new Error("TcpSerialPort: already open");
    this.baudRate = options.baudRate ?? 115200;
    const socket = await new Promise((resolve, reject) => {
      const s = net.createConnection({ host: this.host, port: this.port });
      s.once("connect", () => resolve(s));
      s.once("error", reject);
    });
    socket.setNoDelay(true);
    this.socket = socket;
    let closed = false;
    this.readable = new ReadableStream(
      {
        start: (controller) => {
          socket.on("data", (chunk) => {
            if (closed) return;
            this.bytesIn += chunk.length;
            controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
            if (controller.desiredSize !== null && controller.desiredSize <= 0) socket.pause();
          });
          socket.on("end", () => {
            if (!closed) {
              closed = true;
              controller.close();
            }
          });
          socket.on("error", (error) => {
            if (!closed) {
              closed = true;
              controller.error(error);
            }
          });
        },
        pull: () => {
          socket.resume();
        },
        cancel: () => {
          closed = true;
          socket.destroy();
        },
      },
      { highWaterMark: 64 },
    );
    this.writable = new WritableStream({
      write: (chunk) =>
        new Promise((resolve, reject) => {
          this.bytesOut += chunk.length;
          socket.write(chunk, (error) => (error ? reject(error) : resolve()));
        }),
    });
  }

  async close() {
    if (!this.socket) return;
    const socket = this.socket;
    this.socket = null;
    this.readable = null;
    this.writable = null;
    await new Promise((resolve) => {
      if (socket.destroyed) return resolve();
      socket.once("close", resolve);
      socket.end();
      setTimeout(() => socket.destroy(), 200);
    });
  }

  async setSignals(signals) {
    for (const key of Object.keys(this.signals)) {
      if (signals[key] !== undefined) this.signals[key] = signals[key];
    }
    if (this.onSignals) await this.onSignals({ ...this.signals });
  }

  getInfo() {
    return { ...this.info };
  }

  async setBaudRate(baud) {
    this.baudRate = baud;  // the device switches on CHANGE_BAUDRATE; TCP itself has no rate
  }
}

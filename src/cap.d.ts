/**
 * Typings for cap 0.2.1 (libpcap binding; no @types package exists).
 * Only what keepalive-doctor uses, and what the binding really does:
 * `open()` copies each packet into the Buffer it was given and emits just
 * (nbytes, truncated): no timestamp, no original length.
 */
declare module 'cap' {
  import { EventEmitter } from 'node:events';

  export interface CapAddress {
    addr: string;
    netmask?: string;
    broadaddr?: string;
  }

  export interface CapDevice {
    name: string;
    description?: string;
    addresses: CapAddress[];
    flags?: string;
  }

  export class Cap extends EventEmitter {
    constructor();
    /**
     * Opens a live capture and returns the link type: 'ETHERNET', 'LINKTYPE_LINUX_SLL',
     * 'RAW', 'NULL', 'IEEE802_11_RADIO' or 'Unknown linktype N'. Throws on failure.
     * The native side keeps only a raw pointer into `buffer`: the caller must keep
     * it referenced for as long as the capture is open.
     */
    open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
    close(): boolean;
    send(buffer: Buffer, nBytes?: number): void;
    on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): this;
    static findDevice(ip?: string): string | undefined;
    static deviceList(): CapDevice[];
  }

  const cap: {
    Cap: typeof Cap;
    findDevice: typeof Cap.findDevice;
    deviceList: typeof Cap.deviceList;
    decoders: unknown;
  };
  export default cap;
}

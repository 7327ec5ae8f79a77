import { isIP } from 'node:net';
import { Packet, UDPServer, type Resource } from 'dns2';

/** A small authoritative DNS server on 127.0.0.1 (UDP) for tests, with zones and records set at run time. */
export interface TestDnsServer {
  port: number;
  /** `127.0.0.1:PORT`, for ValidationConfig.dnsServers. */
  address: string;
  /** Makes `apex` a zone: it answers SOA there, and NXDOMAIN / NODATA with the SOA below it. */
  setZone(apex: string): void;
  /** TXT records at `name`; a string[] is one record split into several strings. */
  setTxt(name: string, values: Array<string | string[]>): void;
  /** A (IPv4) and AAAA (IPv6) records at `name`. */
  setA(name: string, ips: string[]): void;
  /** Removes every record at `name` (and the zone, if `name` is an apex). */
  clear(name: string): void;
  /** Questions received, `TYPE name`, oldest first. */
  queries: string[];
  close(): Promise<void>;
}

const TTL = 0;
// RFC 1035 §4.1.1 (dns2's typings lack Packet.RCODE).
const RCODE_FORMERR = 1;
const RCODE_NXDOMAIN = 3;

function norm(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

function typeName(type: number): string {
  const entry = Object.entries(Packet.TYPE).find(([, v]) => v === type);
  return entry ? entry[0] : String(type);
}

export async function startDnsServer(): Promise<TestDnsServer> {
  const zones = new Set<string>();
  const txt = new Map<string, Array<string | string[]>>();
  const a = new Map<string, string[]>();
  const aaaa = new Map<string, string[]>();
  const queries: string[] = [];

  const zoneOf = (name: string): string | null => {
    let best: string | null = null;
    for (const z of zones)
      if ((name === z || name.endsWith('.' + z)) && (best === null || z.length > best.length)) best = z;
    return best;
  };
  const soa = (zone: string): Resource =>
    ({
      name: zone,
      type: Packet.TYPE.SOA,
      class: Packet.CLASS.IN,
      ttl: TTL,
      primary: `ns1.${zone}`,
      admin: `hostmaster.${zone}`,
      serial: 1,
      refresh: 3600,
      retry: 600,
      expiration: 86400,
      minimum: 0,
    }) as Resource;
  const exists = (name: string): boolean => {
    const all = [...zones, ...txt.keys(), ...a.keys(), ...aaaa.keys()];
    // A name exists when it holds records or has names below it (an empty non-terminal).
    return all.some((n) => n === name || n.endsWith('.' + name));
  };

  const server = new UDPServer((request, send) => {
    const response = Packet.createResponseFromRequest(request);
    response.header.aa = 1;
    const q = request.questions[0];
    if (!q) {
      response.header.rcode = RCODE_FORMERR;
      void send(response);
      return;
    }
    const name = norm(q.name);
    queries.push(`${typeName(q.type)} ${name}`);
    const zone = zoneOf(name);
    if (zone === null || !exists(name)) {
      response.header.rcode = RCODE_NXDOMAIN;
      if (zone !== null) response.authorities.push(soa(zone));
      void send(response);
      return;
    }
    const base = { name: q.name, class: Packet.CLASS.IN, ttl: TTL };
    if (q.type === Packet.TYPE.SOA && zones.has(name)) response.answers.push({ ...soa(name), name: q.name });
    if (q.type === Packet.TYPE.TXT)
      for (const v of txt.get(name) ?? [])
        response.answers.push({ ...base, type: Packet.TYPE.TXT, data: v } as Resource);
    if (q.type === Packet.TYPE.A)
      for (const ip of a.get(name) ?? [])
        response.answers.push({ ...base, type: Packet.TYPE.A, address: ip } as Resource);
    if (q.type === Packet.TYPE.AAAA)
      for (const ip of aaaa.get(name) ?? [])
        response.answers.push({ ...base, type: Packet.TYPE.AAAA, address: ip } as Resource);
    if (response.answers.length === 0) response.authorities.push(soa(zone));
    void send(response);
  });
  server.on('error', () => {});
  await server.listen(0, '127.0.0.1');
  const { port } = server.address();

  return {
    port,
    address: `127.0.0.1:${port}`,
    queries,
    setZone(apex) {
      zones.add(norm(apex));
    },
    setTxt(name, values) {
      txt.set(norm(name), values);
    },
    setA(name, ips) {
      a.set(
        norm(name),
        ips.filter((ip) => isIP(ip) === 4),
      );
      aaaa.set(
        norm(name),
        ips.filter((ip) => isIP(ip) === 6),
      );
    },
    clear(name) {
      const n = norm(name);
      zones.delete(n);
      txt.delete(n);
      a.delete(n);
      aaaa.delete(n);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

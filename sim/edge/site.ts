/**
 * The EdgeSites service: one accelerator per edge server, modelled as a
 * processor-sharing resource of capacity 1 second of work per second on the
 * engine's PsLink (every running job gets an equal share), plus a memory
 * ledger whose capacity comes from the server's hardware profile.
 *
 * Memory policy: `start` refuses (returns -1) a job whose own memory_bytes do
 * not fit now; nothing is queued here. Long-lived state (weights, optimizer
 * state) is taken once with `reserve`, so its owner learns at build time
 * whether it fits (the training domain reports a server that cannot hold its
 * part as infeasible).
 */
import type { Engine } from '../engine/engine.ts';
import { PsLink, type PsListener } from '../engine/resources.ts';
import type { UnitName } from '../hardware/profile-schema.ts';
import { loadProfile } from '../hardware/profiles.ts';
import type { Topology } from '../network/topology.ts';
import type { ComputeJob, EdgeSite, EdgeSites } from '../world/compute.ts';
import type { World } from '../world/world.ts';
import type { TransferOwner } from '../world/owner.ts';

/** Units tried, in order, when a profile lacks the requested one. */
const UNIT_FALLBACK = ['gpu', 'npu', 'cpu', 'dsp'] as const;

/** The unit of `device` to run on: `wanted` when the profile has it, else the first of gpu, npu, cpu, dsp it has. */
export function pickUnit(device: string, wanted: UnitName = 'gpu'): UnitName {
  const units = loadProfile(device).units as Record<string, unknown>;
  if (units[wanted] !== undefined) return wanted;
  for (const u of UNIT_FALLBACK) if (units[u] !== undefined) return u;
  throw new Error(`device ${device} has no compute unit`);
}

export class Site implements EdgeSite, PsListener {
  readonly capacity_bytes: number;
  private readonly link: PsLink;
  private used = 0;
  private nextId = 0;
  // Running jobs by id.
  private readonly owner = new Map<number, TransferOwner>();
  private readonly tag = new Map<number, number>();
  private readonly mem = new Map<number, number>();

  constructor(
    engine: Engine,
    readonly server: number,
    readonly device: string,
    readonly unit: string,
    capacity_bytes?: number,
  ) {
    this.capacity_bytes = capacity_bytes ?? loadProfile(device).memory.capacity.value;
    this.link = new PsLink(engine, 1, this);
  }

  free_bytes(): number {
    return this.capacity_bytes - this.used;
  }

  reserve(bytes: number): boolean {
    if (!(bytes >= 0)) throw new RangeError(`EdgeSite.reserve: bytes must be >= 0, got ${bytes}`);
    if (bytes > this.capacity_bytes - this.used) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  start(job: ComputeJob, owner: TransferOwner, tag: number): number {
    if (job.memory_bytes > this.capacity_bytes - this.used) return -1;
    const id = this.nextId++;
    this.used += job.memory_bytes;
    this.owner.set(id, owner);
    this.tag.set(id, tag);
    this.mem.set(id, job.memory_bytes);
    this.link.start(id, job.work_s);
    return id;
  }

  submit(job: ComputeJob, owner: TransferOwner, tag: number): boolean {
    return this.start(job, owner, tag) >= 0;
  }

  cancel(id: number): boolean {
    if (this.link.abort(id) < 0) return false;
    this.finish(id);
    return true;
  }

  remaining(id: number): number {
    return this.link.remaining(id);
  }

  get running(): number {
    return this.link.active;
  }

  utilization(): number {
    return this.link.utilization();
  }

  work_done_s(): number {
    return this.link.served;
  }

  onFlowDone(id: number): void {
    const owner = this.owner.get(id)!;
    const tag = this.tag.get(id)!;
    this.finish(id);
    owner.onTransferDone(tag);
  }

  private finish(id: number): void {
    this.used -= this.mem.get(id)!;
    this.owner.delete(id);
    this.tag.delete(id);
    this.mem.delete(id);
  }
}

export class Sites implements EdgeSites {
  private readonly sites: Site[] = [];

  constructor(engine: Engine, devices: readonly string[], unit: UnitName = 'gpu') {
    for (let s = 0; s < devices.length; s++) this.sites.push(new Site(engine, s, devices[s]!, pickUnit(devices[s]!, unit)));
  }

  get count(): number {
    return this.sites.length;
  }

  site(server: number): Site {
    const s = this.sites[server];
    if (s === undefined) throw new RangeError(`no edge site ${server} (there are ${this.sites.length})`);
    return s;
  }

  utilization(): number {
    if (this.sites.length === 0) return 0;
    let u = 0;
    for (const s of this.sites) u += s.utilization();
    return u / this.sites.length;
  }
}

/**
 * The world's "edge-sites" service: the existing one, or a new one (one site
 * per server of the "topology" service, device = topology.servers.device)
 * that is provided and gets an `edge_utilization` metric. Call it from any
 * domain's build; the first caller creates it.
 */
export function edgeSites(world: World): EdgeSites {
  const have = world.maybe<EdgeSites>('edge-sites');
  if (have !== undefined) return have;
  const topo = world.need<Topology>('topology', 'the edge sites');
  const devices = new Array<string>(topo.serverCount).fill(topo.spec.servers.device);
  const sites = world.provide<EdgeSites>('edge-sites', new Sites(world.engine, devices));
  world.recorder.metric('edge_utilization', () => sites.utilization());
  return sites;
}

// Desired and observed state: data only.
import type { BondKind } from '../config/settings-types.js';
import type { RouteSpec } from '../plan/route.js';
import type { NftTableState } from '../bonds/weighted/nft-state.js';
import type { LineWeight } from '../bonds/weighted/weights.js';

export interface DesiredSlave {
  name: string;
  /** The wanpipe device that creates this interface; undefined for a plain interface (eth2). */
  device: string | undefined;
  /** Where the slave was named: the settings' `slaves =` line, or the wanpipe [interfaces] line. */
  where: string;
  /** Removed from the configuration while the watch daemon runs: only taken out of the ring, nothing else set. */
  leaving?: boolean;
  /** A DSL-router site: the router beyond this slave, which its probe route goes via (settings' `routers`). */
  router?: string;
}

export interface DesiredRoute {
  to: string;
}

/** A per-connection bond's uplink, as the planner and the daemon use it. */
export interface DesiredUplink {
  name: string;
  address: string;
  gateway: string;
  weight: number;
  bps: number | undefined;
  measure: 'in' | 'out';
} // 'default' or a prefix; always `dev <teql>`

export interface DesiredBond {
  /**
   * The bond's name, its section's: also its device (teqlN, a weighted bond's dummy wbondN) for kinds with
   * one, and a drawn bond's nftables chain.
   */
  name: string;
  kind: BondKind;
  /**
   * Weighted and per-connection bonds: each line's rate and weight, in the order of the slaves (the daemon's
   * load mode rewrites them).
   */
  weights?: LineWeight[];
  /** Per-connection bonds: the uplinks, in the order of the slaves. */
  uplinks?: DesiredUplink[];
  balance?: 'weight' | 'load';
  /** The weights are the watch daemon's measure (balance = load), not the settings'. */
  weightsMeasured?: boolean;
  index: number;
  slaves: DesiredSlave[];
  address: string; // CIDR
  /** The bond's routes go via it (a DSL-router site); the address is then real and its prefix routed. */
  gateway?: string | undefined;
  routes: DesiredRoute[];
  rpFilter: 0 | 2;
  mtu: number | undefined;
}

export interface DesiredState {
  bonds: DesiredBond[];
  maxEqualizers: number;
  /** Devices in WAN_DEVICES order, with the slaves each must create. */
  wanpipeDevices: { name: string; slaves: string[] }[];
  /** Interfaces that need DYN_INTR_CFG = YES written (empty with --no-config-fix). */
  configFix: string[];
  slaveWaitMs: number;
  /** The settings file as the operator named it (or the default path), for messages. */
  settingsFile: string;
}

export interface LinkState {
  name: string;
  ifindex: number;
  flags: string[];
  mtu: number;
  operstate: string;
  /** Present when `ip -s` was used. */
  stats?: {
    rxBytes: number;
    rxPackets: number;
    rxErrors: number;
    rxDropped: number;
    txBytes: number;
    txPackets: number;
    txErrors: number;
    txDropped: number;
  };
}

/** peer: the far end of a point-to-point address (`ip addr add A peer B`). */
export interface AddrState {
  dev: string;
  local: string;
  prefixlen: number;
  noprefixroute: boolean;
  peer?: string;
}

export interface RouteState {
  dst: string; // 'default' or a prefix in `ip route` form
  dev: string | undefined; // undefined on a multipath route
  gateway: string | undefined;
  protocol: string | undefined;
  scope: string | undefined;
  metric: number | undefined;
  type: string | undefined;
  /** The route whole, as wanbond would give it back; or why it cannot. */
  spec: RouteSpec | undefined;
  unrestorable?: string;
}

export interface QdiscState {
  dev: string;
  kind: string;
  handle: string;
  root: boolean;
}

/** A policy rule as `ip -j rule` shows it (the fields wanbond's rules use). */
export interface RuleState {
  priority: number;
  fwmark?: number;
  mask?: number;
  oif?: string;
  table: string;
  suppressPrefixlength?: number;
  /** A source address selector of one host (`from 100.64.1.2`): a per-connection uplink's replies. */
  from?: string;
  /**
   * A selector wanbond never writes (iif, from, to, not, ...): then the rule is not wanbond's, whatever else
   * it says.
   */
  other?: boolean;
  /** The input interface a rule of the site's selects (`iif guest0`): the draws leave its packets alone. */
  iif?: string;
}

/**
 * The kernel's policy routing and filtering as the kinds need it read (readsOf in src/bonds/registry.ts):
 * nftables (whether nft exists, wanbond's table), the ip rules, wanbond's routing tables, conntrack.
 */
export interface PolicyObserved {
  /** nft is there and lists wanbond's table. */
  nftAvailable: boolean;
  /** nft is there but cannot list (built without JSON, a kernel without nf_tables): its error. */
  nftUnusable?: string;
  nft: NftTableState | undefined;
  rules: RuleState[];
  /** Routes of each of wanbond's per-line tables, by table number. */
  tables: Record<number, RouteState[]>;
  /** The conntrack program is there (read only for per-connection bonds: it flushes a dead uplink's connections). */
  conntrack?: boolean;
}

/** An IPv6 address as `ip -j addr` shows it (link-local addresses have scope link). */
export interface Addr6State {
  dev: string;
  local: string;
  prefixlen: number;
  scope: string;
}

/** An IPv6 unicast route of any table but local, with the devices it goes by (one, or a multipath's). */
export interface Route6State {
  dst: string;
  gateway: string | undefined;
  devs: string[];
  table: string | undefined;
}

/** The IPv6 a bonded line carries, which wanbond neither bonds nor fails over (read for doctor, status, up). */
export interface Ipv6Observed {
  addrs: Addr6State[];
  routes: Route6State[];
}

export interface ObservedState {
  links: LinkState[];
  addrs: AddrState[];
  routes: RouteState[];
  qdiscs: QdiscState[];
  sysctls: Record<string, string>;
  /**
   * loaded: the kernel has TEQL now; builtin: compiled in (never loaded or unloaded; max_equalizers is a boot
   * parameter).
   */
  teql: { loaded: boolean; builtin: boolean };
  /** The kernel has sch_plug (loaded, built in, or a module it can load): wanbond can hold a bond's queue. */
  plug: boolean;
  /** Devices listed in /proc/net/wanrouter/status; undefined when the file does not exist. */
  wanrouterDevices: { name: string; status: string }[] | undefined;
  /** Running devices whose driver still runs a configuration older than its file (see state/drivers.ts). */
  staleDrivers: StaleDriver[];
  /** Read when a kind's reads ask for it (a drawn bond, a DSL site's probe tables) or a record holds it. */
  policy?: PolicyObserved;
  /** Read for doctor, status and up only (not the daemon's ring); undefined when not read. */
  ipv6?: Ipv6Observed;
  /** A lean read (the daemon's ring): addresses and routes were not read, and come back empty. */
  lean?: true;
}

export interface StaleDriver {
  device: string;
  /** DYN_INTR_CFG per interface as the driver read it at its start. */
  driver: Record<string, 'YES' | 'NO' | undefined>;
  since: string;
  why: string;
}

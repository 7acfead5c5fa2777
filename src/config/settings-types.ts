// The settings' shapes, apart from their parser (settings.ts): the bond kinds take part in parsing
// their sections, and what they import must not lead back to the parser. Pure.
import type { WatchSettings } from './watch-settings.js';

/** A bond kind's name (src/bonds/registry.ts lists them). */
export type BondKind = string;

/**
 * A per-connection bond's uplink (a NATed line to its own provider): its address, next hop, share of new
 * connections.
 */
export interface UplinkSettings {
  name: string;
  /** The uplink's own address: what its connections are SNATed to, and what its replies are routed from. */
  address: string;
  gateway: string;
  weight: number;
  /** The uplink's capacity in the measured direction (bit/s): needed by `balance = load`. */
  bps: number | undefined;
  /** Which way load is measured: in (downloads, what asymmetric DSL runs out of first) or out. */
  measure: 'in' | 'out';
  line: number;
}

export interface BondSettings {
  /** The section's name ([teql0], [wbond1], [pcbond0]): the bond's name. */
  name: string;
  kind: BondKind;
  /**
   * The next hop of the bond's routes (a DSL-router site: the routers' shared LAN address, which TEQL
   * resolves on each slave). With it, the bond's address is a real one: its prefix is routed.
   */
  gateway: string | undefined;
  /**
   * Per slave, the router beyond it (its probe route's next hop) where it is not the other host of the
   * slave's /30 or /31.
   */
  routers: Record<string, string>;
  /** A per-connection bond's uplinks, in the order written (`uplink.<dev> = ...`). */
  uplinks: UplinkSettings[];
  /** A per-connection bond: new connections by weight, or by the daemon's measured load. */
  balance: 'weight' | 'load';
  /** Per-line rates in bit/s that override what the wanpipe configuration says (weighted bonds). */
  rates: Record<string, number>;
  ratesLine: number | undefined;
  index: number;
  slaves: string[] | undefined; // undefined: every IP interface of the wanpipe configuration
  address: string;
  routes: string[]; // 'default' and/or prefixes
  rpFilter: 0 | 2;
  mtu: number | undefined;
  line: number;
  /** Line of `slaves =`, when the section has one. */
  slavesLine: number | undefined;
}

export interface Settings {
  file: string | undefined;
  bonds: BondSettings[];
  slaveWaitMs: number;
  configFix: boolean;
  /** sch_teql's max_equalizers when wanbond loads it; at least what the bonds need. */
  maxEqualizers: number | undefined;
  /** The watch daemon's [watch] section. */
  watch: WatchSettings;
}

export const DEFAULT_SETTINGS_FILE = '/etc/wanbond/wanbond.conf';

// What the kernel has of wanbond's nftables table, as src/bonds/weighted/observe.ts reads it. Data only:
// the shared state types hold it without importing the reader.

export interface NftChainState {
  hook?: string;
  type?: string;
  prio?: number;
  rules: number;
  jumps: string[] /** Each rule's comment (ruleTag), '' for none. */;
  tags: string[];
}

export interface NftTableState {
  sets: Record<string, string[]>;
  chains: Record<string, NftChainState>;
  /**
   * Bond chain -> the marks its one rule draws, in order (one entry for a plain `meta mark set`); [] for an
   * empty chain.
   */
  draws: Record<string, number[]>;
}

// How a dead line shows itself on a wanpipe interface, by card, protocol and DYN_INTR_CFG as the driver
// takes it (../shared/domain/wanpipe.md sections 1 and 2, the drivers' sources). Pure.
import type { Device, Interface } from './wanpipe.js';

const S514_DOWNERS = new Set(['WAN_CHDLC', 'WAN_PPP', 'WAN_FR']);
const LIP_DOWNERS = new Set(['fr', 'ppp', 'chdlc']);
// DYN_INTR_CFG means dynamic IP negotiation on these (wanpipe_multppp.c, README.adsl), never interface down.
export const KEY_MEANS_DYNAMIC_IP: ReadonlySet<string> = new Set(['WAN_MULTPPP', 'WAN_ADSL']);

export function cardOf(configId: string, cardType: string | undefined): Device['card'] {
  const ct = cardType?.toUpperCase();
  if (ct === 'AFT' || configId.startsWith('WAN_AFT') || configId === 'WAN_XILINX') return 'AFT';
  if (
    ct === 'S51X' ||
    ct === 'S50X' ||
    S514_DOWNERS.has(configId) ||
    configId === 'WAN_MULTPPP' ||
    configId === 'WAN_MFR'
  )
    return 'S514';
  return 'other';
}

export function classify(
  dev: Device,
  mode: string,
  lip: string | undefined,
  dyn: 'YES' | 'NO' | undefined,
): Pick<Interface, 'carriesIp' | 'visibility' | 'dynIntrCfgApplies' | 'why'> {
  const carriesIp = mode === 'WANPIPE';
  if (!carriesIp)
    return {
      carriesIp,
      visibility: 'none',
      dynIntrCfgApplies: false,
      why: `operation mode ${mode} carries no IP: not bondable`,
    };
  if (KEY_MEANS_DYNAMIC_IP.has(dev.configId)) {
    return {
      carriesIp,
      visibility: 'none',
      dynIntrCfgApplies: false,
      why: `on ${dev.configId} DYN_INTR_CFG means dynamic IP, not interface down: a dead line stays up`,
    };
  }
  if (lip !== undefined) {
    if (LIP_DOWNERS.has(lip)) {
      return dyn === 'YES'
        ? {
            carriesIp,
            visibility: 'driver-downs',
            dynIntrCfgApplies: true,
            why: `LIP ${lip} downs the interface (DYN_INTR_CFG = YES)`,
          }
        : {
            carriesIp,
            visibility: 'carrier',
            dynIntrCfgApplies: true,
            why: `LIP ${lip} drops carrier only; DYN_INTR_CFG = YES also downs the interface`,
          };
    }
    return { carriesIp, visibility: 'carrier', dynIntrCfgApplies: false, why: `LIP ${lip} signals carrier only` };
  }
  if (dev.card === 'S514' && S514_DOWNERS.has(dev.configId)) {
    return dyn === 'YES'
      ? {
          carriesIp,
          visibility: 'driver-downs',
          dynIntrCfgApplies: true,
          why: `S514 ${dev.configId} downs the interface (DYN_INTR_CFG = YES)`,
        }
      : {
          carriesIp,
          visibility: 'none',
          dynIntrCfgApplies: true,
          why: `S514 ${dev.configId} without DYN_INTR_CFG = YES stays up on a dead line and black-holes its share`,
        };
  }
  if (dev.configId === 'WAN_AFT' || dev.configId === 'WAN_XILINX') {
    // The A101/A102 driver (sdla_xilinx.c) honours DYN_OPT_ON like the S514 drivers.
    return dyn === 'YES'
      ? {
          carriesIp,
          visibility: 'driver-downs',
          dynIntrCfgApplies: true,
          why: `AFT A101/2 downs the interface (DYN_INTR_CFG = YES)`,
        }
      : {
          carriesIp,
          visibility: 'none',
          dynIntrCfgApplies: true,
          why: `AFT A101/2 without DYN_INTR_CFG = YES is not known to signal a dead line`,
        };
  }
  if (dev.card === 'AFT') {
    return {
      carriesIp,
      visibility: 'carrier',
      dynIntrCfgApplies: false,
      why: `AFT raw HDLC (${dev.configId}) signals carrier; DYN_INTR_CFG has no effect`,
    };
  }
  return {
    carriesIp,
    visibility: 'none',
    dynIntrCfgApplies: false,
    why: `${dev.configId} does not implement DYN_INTR_CFG: a dead line is not signalled`,
  };
}

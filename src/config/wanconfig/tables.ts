// Facts of Sangoma's wanconfig 7.0.15, as data: the key tables that decide which keys a wanpipeN.conf section
// accepts and how each value is stored, the tables choosing them by media id or [interfaces] protocol word, and
// the symbolic values. Taken from github.com/Distrotech/wanpipe at commit 8c8aab8273c224a87a0a7b498bb990f8126c8cab:
// util/wanconfig/wanconfig.h 239-1367 (key_word_t tables 239-980, conf_def_tables 982-1009, conf_if_def_tables
// 1011-1027, conf_annexg_def_tables 1029-1047, config_id_str 1049-1086, sym_table 1092-1367) and
// util/wanconfig/wanconfig.c (build_chandef_list 1188-1373, configure_link 1379-1574, configure_chan 1698-1839,
// set_conf_param 2098-2276, lookup/name2val 2455-2470). Symbol values are the driver headers' constants under
// patches/kdrivers/include (wanpipe_cfg_def.h, wanpipe_cfg.h, wanpipe_cfg_fr.h, wanpipe_cfg_sppp.h,
// wanpipe_cfg_adsl.h, sdla_front_end.h, sdla_te1.h, sdla_te3.h, sdla_remora.h): every table below was read by
// compiling wanconfig.h with util/wanconfig/Makefile's flags (-D__LINUX__ -DWAN_HWEC
// -DCONFIG_PRODUCT_WANPIPE_AFT_BRI -DCONFIG_PRODUCT_WANPIPE_USB) and printing it, and checked against a parse of
// the text; each macro has a single live definition, so no value is in doubt.
// Conditionals, for a Linux x86-64 build: wanconfig.h's `#if defined(__LINUX__)` include branch is taken (it only
// chooses headers); the two `#if 0` blocks (common_conftab 388-397, sym_table 1318-1326) are dropped; the
// `__WINDOWS__`/`__cplusplus` blocks hold no entries; `//` and `/* */` lines are dropped. In the headers the
// WP_NONE/WP_SLINEAR enum of wanpipe_codec_iface.h is `#if 0`; wanpipe_cfg.h's (same values) is the live one.

/** How set_conf_param stores a value (wanconfig.c 2098-2276): the DTYPE_* of the table entry. */
export type Dtype =
  | 'int'
  | 'uint'
  | 'long'
  | 'ulong'
  | 'short'
  | 'ushort'
  | 'char'
  | 'uchar'
  | 'ptr'
  | 'str'
  | 'filename'
  | 'oct-filename'
  | 'oct-chan-conf';

export interface KeyDef {
  readonly key: string;
  readonly dtype: Dtype;
}

/**
 * Every key_word_t table of wanconfig.h, by its C name, entries in source order (set_conf_param's search is linear,
 * first match). [devices] keys are tried in common_conftab, then the DEVICE_MEDIA_TABLES table; [interfaces] keys in
 * chan_conftab, then the annexg table or else the IFACE_MEDIA_TABLES table (see ANNEXG_TABLES).
 */
export const KEY_TABLES: Readonly<Record<string, readonly KeyDef[]>> = {
  // wanconfig.h 239-400; the `//` MEDIA/LCODE/FRAME at 256-258 and the `#if 0` ATM_* copies at 388-397 are left out
  common_conftab: [
    { key: 'IOPORT', dtype: 'uint' },
    { key: 'MEMADDR', dtype: 'uint' },
    { key: 'MEMSIZE', dtype: 'uint' },
    { key: 'IRQ', dtype: 'uint' },
    { key: 'DMA', dtype: 'uint' },
    { key: 'CARD_TYPE', dtype: 'uint' },
    { key: 'S514CPU', dtype: 'str' },
    { key: 'PCISLOT', dtype: 'uint' },
    { key: 'PCIBUS', dtype: 'uint' },
    { key: 'AUTO_PCISLOT', dtype: 'uchar' },
    { key: 'AUTO_DETECT', dtype: 'uchar' },
    { key: 'USB_BUSID', dtype: 'str' },
    { key: 'COMMPORT', dtype: 'uint' },
    { key: 'FE_MEDIA', dtype: 'uchar' },
    { key: 'FE_SUBMEDIA', dtype: 'uchar' },
    { key: 'FE_LCODE', dtype: 'uchar' },
    { key: 'FE_FRAME', dtype: 'uchar' },
    { key: 'FE_LINE', dtype: 'uint' },
    { key: 'FE_POLL', dtype: 'uchar' },
    { key: 'FE_TXTRISTATE', dtype: 'uchar' },
    { key: 'FE_NETWORK_SYNC', dtype: 'uint' },
    { key: 'MEDIA', dtype: 'uchar' },
    { key: 'LCODE', dtype: 'uchar' },
    { key: 'FRAME', dtype: 'uchar' },
    { key: 'TE_LBO', dtype: 'uchar' },
    { key: 'TE_CLOCK', dtype: 'uchar' },
    { key: 'TE_ACTIVE_CH', dtype: 'uint' },
    { key: 'TE_RBS_CH', dtype: 'uint' },
    { key: 'TE_HIGHIMPEDANCE', dtype: 'uchar' },
    { key: 'TE_RX_SLEVEL', dtype: 'int' },
    { key: 'TE_REF_CLOCK', dtype: 'uchar' },
    { key: 'TE_SIG_MODE', dtype: 'uchar' },
    { key: 'TE_IGNORE_YEL', dtype: 'uchar' },
    { key: 'TE_AIS_MAINTENANCE', dtype: 'uchar' },
    { key: 'TE_AIS_AUTO_ON_LOS', dtype: 'uchar' },
    { key: 'LBO', dtype: 'uchar' },
    { key: 'ACTIVE_CH', dtype: 'uint' },
    { key: 'HIGHIMPEDANCE', dtype: 'uchar' },
    { key: 'TE3_FRACTIONAL', dtype: 'uint' },
    { key: 'TE3_RDEVICE', dtype: 'uint' },
    { key: 'TE3_FCS', dtype: 'uint' },
    { key: 'TE3_RXEQ', dtype: 'uint' },
    { key: 'TE3_TAOS', dtype: 'uint' },
    { key: 'TE3_LBMODE', dtype: 'uint' },
    { key: 'TE3_TXLBO', dtype: 'uint' },
    { key: 'TE3_CLOCK', dtype: 'uint' },
    { key: 'TDMV_LAW', dtype: 'uint' },
    { key: 'TDMV_OPERMODE', dtype: 'str' },
    { key: 'RM_OHTHRESH', dtype: 'uint' },
    { key: 'RM_BATTTHRESH', dtype: 'uint' },
    { key: 'RM_BATTDEBOUNCE', dtype: 'uint' },
    { key: 'RM_MODE', dtype: 'uchar' },
    { key: 'RM_LCM', dtype: 'uchar' },
    { key: 'RM_BRI_CLOCK_MASTER', dtype: 'uchar' },
    { key: 'RM_BRI_CLOCK', dtype: 'uchar' },
    { key: 'RM_NETWORK_SYNC', dtype: 'uint' },
    { key: 'RM_FASTRINGER', dtype: 'uchar' },
    { key: 'RM_LOWPOWER', dtype: 'uchar' },
    { key: 'RM_FXSTXGAIN', dtype: 'int' },
    { key: 'RM_FXSRXGAIN', dtype: 'int' },
    { key: 'RM_FXOTXGAIN', dtype: 'int' },
    { key: 'RM_FXORXGAIN', dtype: 'int' },
    { key: 'RM_PULSEDIALING', dtype: 'uchar' },
    { key: 'RM_RINGAMPL', dtype: 'int' },
    { key: 'RM_RELAXCFG', dtype: 'uchar' },
    { key: 'RM_FAKE_POLARITY', dtype: 'uchar' },
    { key: 'RM_FAKE_POLARITY_THRESHOLD', dtype: 'int' },
    { key: 'TDMV_SPAN', dtype: 'uchar' },
    { key: 'TDMV_DCHAN', dtype: 'uint' },
    { key: 'TDMV_HW_DTMF', dtype: 'uchar' },
    { key: 'TDMV_HW_FAX_DETECT', dtype: 'uchar' },
    { key: 'TDMV_HW_FAXCALLED', dtype: 'uchar' },
    { key: 'TDMV_DUMMY_REF', dtype: 'uchar' },
    { key: 'TDMV_EC_OFF_ON_FAX', dtype: 'uint' },
    { key: 'RTP_TAP_IP', dtype: 'uint' },
    { key: 'RTP_TAP_PORT', dtype: 'ushort' },
    { key: 'RTP_TAP_SAMPLE', dtype: 'ushort' },
    { key: 'RTP_TAP_DEV', dtype: 'str' },
    { key: 'RTP_TAP_MAC', dtype: 'uint' },
    { key: 'HWEC_CLKSRC', dtype: 'uint' },
    { key: 'HWEC_PERSIST', dtype: 'uint' },
    { key: 'TDMV_HWEC_PERSIST_DISABLE', dtype: 'uint' },
    { key: 'HWEC_NOISE_REDUCTION', dtype: 'uchar' },
    { key: 'HWEC_NOISE_REDUCTION_DISABLE', dtype: 'uchar' },
    { key: 'HWEC_TONEDISABLERDELAY', dtype: 'uint' },
    { key: 'HWEC_DTMF_REMOVAL', dtype: 'uchar' },
    { key: 'HWEC_OPERATION_MODE', dtype: 'uchar' },
    { key: 'HWEC_ACUSTIC_ECHO', dtype: 'uchar' },
    { key: 'HWEC_NLP_DISABLE', dtype: 'uchar' },
    { key: 'HWEC_TX_AUTO_GAIN', dtype: 'int' },
    { key: 'HWEC_RX_AUTO_GAIN', dtype: 'int' },
    { key: 'HWEC_TX_GAIN', dtype: 'int' },
    { key: 'HWEC_RX_GAIN', dtype: 'int' },
    { key: 'OCT_CHIP_CONF', dtype: 'oct-filename' },
    { key: 'OCT_ECHOOPERATIONMODE', dtype: 'oct-chan-conf' },
    { key: 'BAUDRATE', dtype: 'uint' },
    { key: 'MTU', dtype: 'uint' },
    { key: 'UDPPORT', dtype: 'uint' },
    { key: 'TTL', dtype: 'uchar' },
    { key: 'INTERFACE', dtype: 'uchar' },
    { key: 'CLOCKING', dtype: 'uchar' },
    { key: 'LINECODING', dtype: 'uchar' },
    { key: 'CONNECTION', dtype: 'uchar' },
    { key: 'LINEIDLE', dtype: 'uchar' },
    { key: 'OPTION1', dtype: 'uint' },
    { key: 'OPTION2', dtype: 'uint' },
    { key: 'OPTION3', dtype: 'uint' },
    { key: 'OPTION4', dtype: 'uint' },
    { key: 'FIRMWARE', dtype: 'filename' },
    { key: 'RXMODE', dtype: 'char' },
    { key: 'RECEIVE_ONLY', dtype: 'uchar' },
    { key: 'BACKUP', dtype: 'uchar' },
    { key: 'TTY', dtype: 'uchar' },
    { key: 'TTY_MAJOR', dtype: 'uint' },
    { key: 'TTY_MINOR', dtype: 'uint' },
    { key: 'TTY_MODE', dtype: 'uint' },
    { key: 'IGNORE_FRONT_END', dtype: 'uchar' },
    { key: 'MAX_RX_QUEUE', dtype: 'uint' },
    { key: 'LMI_TRACE_QUEUE', dtype: 'uint' },
  ],
  // wanconfig.h 402-423
  sppp_conftab: [
    { key: 'IP_MODE', dtype: 'uchar' },
    { key: 'AUTH_TIMER', dtype: 'uint' },
    { key: 'KEEPALIVE_TIMER', dtype: 'uint' },
    { key: 'PPP_TIMER', dtype: 'uint' },
    { key: 'PAP', dtype: 'uchar' },
    { key: 'CHAP', dtype: 'uchar' },
    { key: 'USERID', dtype: 'str' },
    { key: 'PASSWD', dtype: 'str' },
    { key: 'KEEPALIVE_ERROR_MARGIN', dtype: 'uint' },
    { key: 'MAGIC_DISABLE', dtype: 'uchar' },
  ],
  // wanconfig.h 425-439
  fr_conftab: [
    { key: 'SIGNALLING', dtype: 'uint' },
    { key: 'T391', dtype: 'uint' },
    { key: 'T392', dtype: 'uint' },
    { key: 'N391', dtype: 'uint' },
    { key: 'N392', dtype: 'uint' },
    { key: 'N393', dtype: 'uint' },
    { key: 'FR_ISSUE_FS', dtype: 'uchar' },
    { key: 'NUMBER_OF_DLCI', dtype: 'uint' },
    { key: 'STATION', dtype: 'uchar' },
    { key: 'EEK_CFG', dtype: 'uint' },
    { key: 'EEK_TIMER', dtype: 'uint' },
  ],
  // wanconfig.h 441-454
  xilinx_conftab: [
    { key: 'MRU', dtype: 'ushort' },
    { key: 'DMA_PER_CH', dtype: 'ushort' },
    { key: 'RBS', dtype: 'uint' },
    { key: 'DATA_MUX_MAP', dtype: 'uint' },
    { key: 'RX_CRC_BYTES', dtype: 'uint' },
    { key: 'SPAN_TX_ONLY_IRQ', dtype: 'uchar' },
    { key: 'HW_RJ45_PORT_MAP', dtype: 'uchar' },
    { key: 'RX_FIFO_TRIGGER', dtype: 'ushort' },
    { key: 'TX_FIFO_TRIGGER', dtype: 'ushort' },
    { key: 'GLOBAL_POLL_IRQ', dtype: 'uchar' },
  ],
  // wanconfig.h 456-459; no lookup table points at it: WAN_EDU_KIT gets common_conftab only
  edukit_conftab: [],
  // wanconfig.h 461-472
  bitstrm_conftab: [
    { key: 'SYNC_OPTIONS', dtype: 'ushort' },
    { key: 'RX_SYNC_CHAR', dtype: 'ushort' },
    { key: 'MONOSYNC_TX_TIME_FILL_CHAR', dtype: 'uchar' },
    { key: 'MAX_LENGTH_TX_DATA_BLOCK', dtype: 'uint' },
    { key: 'RX_COMPLETE_LENGTH', dtype: 'uint' },
    { key: 'RX_COMPLETE_TIMER', dtype: 'uint' },
    { key: 'RBS_CH_MAP', dtype: 'uint' },
  ],
  // wanconfig.h 489-500; an older atm_conftab at 474-487 sits inside a /* */ comment and is left out
  atm_conftab: [
    { key: 'ATM_SYNC_MODE', dtype: 'ushort' },
    { key: 'ATM_SYNC_DATA', dtype: 'ushort' },
    { key: 'ATM_SYNC_OFFSET', dtype: 'ushort' },
    { key: 'ATM_HUNT_TIMER', dtype: 'ushort' },
    { key: 'ATM_CELL_CFG', dtype: 'uchar' },
    { key: 'ATM_CELL_PT', dtype: 'uchar' },
    { key: 'ATM_CELL_CLP', dtype: 'uchar' },
    { key: 'ATM_CELL_PAYLOAD', dtype: 'uchar' },
  ],
  // wanconfig.h 502-528
  atm_if_conftab: [
    { key: 'ENCAPMODE', dtype: 'uchar' },
    { key: 'VCI', dtype: 'ushort' },
    { key: 'VPI', dtype: 'ushort' },
    { key: 'OAM_LOOPBACK', dtype: 'uchar' },
    { key: 'OAM_LOOPBACK_INT', dtype: 'uchar' },
    { key: 'OAM_CC_CHECK', dtype: 'uchar' },
    { key: 'OAM_CC_CHECK_INT', dtype: 'uchar' },
    { key: 'ATMARP', dtype: 'uchar' },
    { key: 'ATMARP_INT', dtype: 'uchar' },
    { key: 'MTU', dtype: 'ushort' },
    { key: 'ATM_SYNC_MODE', dtype: 'ushort' },
    { key: 'ATM_SYNC_DATA', dtype: 'ushort' },
    { key: 'ATM_SYNC_OFFSET', dtype: 'ushort' },
    { key: 'ATM_HUNT_TIMER', dtype: 'ushort' },
    { key: 'ATM_CELL_CFG', dtype: 'uchar' },
    { key: 'ATM_CELL_PT', dtype: 'uchar' },
    { key: 'ATM_CELL_CLP', dtype: 'uchar' },
    { key: 'ATM_CELL_PAYLOAD', dtype: 'uchar' },
  ],
  // wanconfig.h 530-548
  xilinx_if_conftab: [
    { key: 'SIGNALLING', dtype: 'uint' },
    { key: 'STATION', dtype: 'uchar' },
    { key: 'SEVEN_BIT_HDLC', dtype: 'char' },
    { key: 'SW_HDLC', dtype: 'char' },
    { key: 'MRU', dtype: 'uint' },
    { key: 'MTU', dtype: 'uint' },
    { key: 'IDLE_MTU', dtype: 'uint' },
    { key: 'IDLE_FLAG', dtype: 'uchar' },
    { key: 'DATA_MUX', dtype: 'uchar' },
    { key: 'SS7_ENABLE', dtype: 'uchar' },
    { key: 'SS7_MODE', dtype: 'uchar' },
    { key: 'SS7_LSSU_SZ', dtype: 'uchar' },
    { key: 'RBS_CAS_IDLE', dtype: 'uchar' },
    { key: 'HDLC_REPEAT', dtype: 'uchar' },
    { key: 'MTP1_FILTER', dtype: 'ushort' },
  ],
  // wanconfig.h 550-556
  bitstrm_if_conftab: [
    { key: 'MAX_TX_QUEUE', dtype: 'uint' },
    { key: 'MAX_TX_UP_SIZE', dtype: 'uint' },
    { key: 'SEVEN_BIT_HDLC', dtype: 'char' },
  ],
  // wanconfig.h 558-616
  adsl_conftab: [
    { key: 'ENCAPMODE', dtype: 'uchar' },
    { key: 'RFC1483MODE', dtype: 'uchar' },
    { key: 'RFC2364MODE', dtype: 'uchar' },
    { key: 'VCI', dtype: 'ushort' },
    { key: 'RFC1483VCI', dtype: 'ushort' },
    { key: 'RFC2364VCI', dtype: 'ushort' },
    { key: 'VPI', dtype: 'ushort' },
    { key: 'RFC1483VPI', dtype: 'ushort' },
    { key: 'RFC2364VPI', dtype: 'ushort' },
    { key: 'VERBOSE', dtype: 'uchar' },
    { key: 'DSL_INTERFACE', dtype: 'uchar' },
    { key: 'RXBUFFERCOUNT', dtype: 'ushort' },
    { key: 'TXBUFFERCOUNT', dtype: 'ushort' },
    { key: 'ADSLSTANDARD', dtype: 'ushort' },
    { key: 'ADSLTRELLIS', dtype: 'ushort' },
    { key: 'ADSLTXPOWERATTEN', dtype: 'ushort' },
    { key: 'ADSLCODINGGAIN', dtype: 'ushort' },
    { key: 'ADSLMAXBITSPERBIN', dtype: 'ushort' },
    { key: 'ADSLTXSTARTBIN', dtype: 'ushort' },
    { key: 'ADSLTXENDBIN', dtype: 'ushort' },
    { key: 'ADSLRXSTARTBIN', dtype: 'ushort' },
    { key: 'ADSLRXENDBIN', dtype: 'ushort' },
    { key: 'ADSLRXBINADJUST', dtype: 'ushort' },
    { key: 'ADSLFRAMINGSTRUCT', dtype: 'ushort' },
    { key: 'ADSLEXPANDEDEXCHANGE', dtype: 'ushort' },
    { key: 'ADSLCLOCKTYPE', dtype: 'ushort' },
    { key: 'ADSLMAXDOWNRATE', dtype: 'ushort' },
    { key: 'GTISTANDARD', dtype: 'ushort' },
    { key: 'GTITRELLIS', dtype: 'ushort' },
    { key: 'GTITXPOWERATTEN', dtype: 'ushort' },
    { key: 'GTICODINGGAIN', dtype: 'ushort' },
    { key: 'GTIMAXBITSPERBIN', dtype: 'ushort' },
    { key: 'GTITXSTARTBIN', dtype: 'ushort' },
    { key: 'GTITXENDBIN', dtype: 'ushort' },
    { key: 'GTIRXSTARTBIN', dtype: 'ushort' },
    { key: 'GTIRXENDBIN', dtype: 'ushort' },
    { key: 'GTIRXBINADJUST', dtype: 'ushort' },
    { key: 'GTIFRAMINGSTRUCT', dtype: 'ushort' },
    { key: 'GTIEXPANDEDEXCHANGE', dtype: 'ushort' },
    { key: 'GTICLOCKTYPE', dtype: 'ushort' },
    { key: 'GTIMAXDOWNRATE', dtype: 'ushort' },
    { key: 'ATM_AUTOCFG', dtype: 'uchar' },
    { key: 'ADSL_WATCHDOG', dtype: 'uchar' },
  ],
  // wanconfig.h 618-632
  bscstrm_conftab: [
    { key: 'BSCSTRM_ADAPTER_FR', dtype: 'uint' },
    { key: 'BSCSTRM_MTU', dtype: 'ushort' },
    { key: 'BSCSTRM_EBCDIC', dtype: 'ushort' },
    { key: 'BSCSTRM_RB_BLOCK_TYPE', dtype: 'ushort' },
    { key: 'BSCSTRM_NO_CONSEC_PAD_EOB', dtype: 'ushort' },
    { key: 'BSCSTRM_NO_ADD_LEAD_TX_SYN_CHARS', dtype: 'ushort' },
    { key: 'BSCSTRM_NO_BITS_PER_CHAR', dtype: 'ushort' },
    { key: 'BSCSTRM_PARITY', dtype: 'ushort' },
    { key: 'BSCSTRM_MISC_CONFIG_OPTIONS', dtype: 'ushort' },
    { key: 'BSCSTRM_STATISTICS_OPTIONS', dtype: 'ushort' },
    { key: 'BSCSTRM_MODEM_CONFIG_OPTIONS', dtype: 'ushort' },
  ],
  // wanconfig.h 634-667
  ss7_conftab: [
    { key: 'LINE_CONFIG_OPTIONS', dtype: 'uint' },
    { key: 'MODEM_CONFIG_OPTIONS', dtype: 'uint' },
    { key: 'MODEM_STATUS_TIMER', dtype: 'uint' },
    { key: 'API_OPTIONS', dtype: 'uint' },
    { key: 'PROTOCOL_OPTIONS', dtype: 'uint' },
    { key: 'PROTOCOL_SPECIFICATION', dtype: 'uint' },
    { key: 'STATS_HISTORY_OPTIONS', dtype: 'uint' },
    { key: 'MAX_LENGTH_MSU_SIF', dtype: 'uint' },
    { key: 'MAX_UNACKED_TX_MSUS', dtype: 'uint' },
    { key: 'LINK_INACTIVITY_TIMER', dtype: 'uint' },
    { key: 'T1_TIMER', dtype: 'uint' },
    { key: 'T2_TIMER', dtype: 'uint' },
    { key: 'T3_TIMER', dtype: 'uint' },
    { key: 'T4_TIMER_EMERGENCY', dtype: 'uint' },
    { key: 'T4_TIMER_NORMAL', dtype: 'uint' },
    { key: 'T5_TIMER', dtype: 'uint' },
    { key: 'T6_TIMER', dtype: 'uint' },
    { key: 'T7_TIMER', dtype: 'uint' },
    { key: 'T8_TIMER', dtype: 'uint' },
    { key: 'N1', dtype: 'uint' },
    { key: 'N2', dtype: 'uint' },
    { key: 'TIN', dtype: 'uint' },
    { key: 'TIE', dtype: 'uint' },
    { key: 'SUERM_ERROR_THRESHOLD', dtype: 'uint' },
    { key: 'SUERM_NUMBER_OCTETS', dtype: 'uint' },
    { key: 'SUERM_NUMBER_SUS', dtype: 'uint' },
    { key: 'SIE_INTERVAL_TIMER', dtype: 'uint' },
    { key: 'SIO_INTERVAL_TIMER', dtype: 'uint' },
    { key: 'SIOS_INTERVAL_TIMER', dtype: 'uint' },
    { key: 'FISU_INTERVAL_TIMER', dtype: 'uint' },
  ],
  // wanconfig.h 669-700
  x25_conftab: [
    { key: 'LOWESTPVC', dtype: 'uint' },
    { key: 'HIGHESTPVC', dtype: 'uint' },
    { key: 'LOWESTSVC', dtype: 'uint' },
    { key: 'HIGHESTSVC', dtype: 'uint' },
    { key: 'HDLCWINDOW', dtype: 'uint' },
    { key: 'PACKETWINDOW', dtype: 'uint' },
    { key: 'T1', dtype: 'uint' },
    { key: 'T2', dtype: 'uint' },
    { key: 'T4', dtype: 'uint' },
    { key: 'N2', dtype: 'uint' },
    { key: 'T10_T20', dtype: 'uint' },
    { key: 'T11_T21', dtype: 'uint' },
    { key: 'T12_T22', dtype: 'uint' },
    { key: 'T13_T23', dtype: 'uint' },
    { key: 'T16_T26', dtype: 'uint' },
    { key: 'T28', dtype: 'uint' },
    { key: 'R10_R20', dtype: 'uint' },
    { key: 'R12_R22', dtype: 'uint' },
    { key: 'R13_R23', dtype: 'uint' },
    { key: 'CCITTCOMPAT', dtype: 'uint' },
    { key: 'X25CONFIG', dtype: 'uint' },
    { key: 'LAPB_HDLC_ONLY', dtype: 'uchar' },
    { key: 'CALL_SETUP_LOG', dtype: 'uchar' },
    { key: 'OOB_ON_MODEM', dtype: 'uchar' },
    { key: 'STATION_ADDR', dtype: 'uchar' },
    { key: 'DEF_PKT_SIZE', dtype: 'ushort' },
    { key: 'MAX_PKT_SIZE', dtype: 'ushort' },
    { key: 'STATION', dtype: 'uchar' },
  ],
  // wanconfig.h 702-725
  lapb_annexg_conftab: [
    { key: 'T1', dtype: 'uint' },
    { key: 'T2', dtype: 'uint' },
    { key: 'T3', dtype: 'uint' },
    { key: 'T4', dtype: 'uint' },
    { key: 'N2', dtype: 'uint' },
    { key: 'LAPB_MODE', dtype: 'uint' },
    { key: 'LAP_MODE', dtype: 'uint' },
    { key: 'MODE', dtype: 'uint' },
    { key: 'LAPB_WINDOW', dtype: 'uint' },
    { key: 'LAP_WINDOW', dtype: 'uint' },
    { key: 'WINDOW', dtype: 'uint' },
    { key: 'LAP_STATION', dtype: 'uint' },
    { key: 'LABEL', dtype: 'str' },
    { key: 'VIRTUAL_ADDR', dtype: 'str' },
    { key: 'REAL_ADDR', dtype: 'str' },
    { key: 'MAX_PKT_SIZE', dtype: 'uint' },
  ],
  // wanconfig.h 727-776
  x25_annexg_conftab: [
    { key: 'PACKETWINDOW', dtype: 'ushort' },
    { key: 'CCITTCOMPAT', dtype: 'ushort' },
    { key: 'T10_T20', dtype: 'uint' },
    { key: 'T11_T21', dtype: 'uint' },
    { key: 'T12_T22', dtype: 'uint' },
    { key: 'T13_T23', dtype: 'uint' },
    { key: 'T16_T26', dtype: 'uint' },
    { key: 'T28', dtype: 'uint' },
    { key: 'R10_R20', dtype: 'ushort' },
    { key: 'R12_R22', dtype: 'ushort' },
    { key: 'R13_R23', dtype: 'ushort' },
    { key: 'X25_API_OPTIONS', dtype: 'ushort' },
    { key: 'X25_PROTOCOL_OPTIONS', dtype: 'ushort' },
    { key: 'X25_RESPONSE_OPTIONS', dtype: 'ushort' },
    { key: 'X25_STATISTICS_OPTIONS', dtype: 'ushort' },
    { key: 'GEN_FACILITY_1', dtype: 'ushort' },
    { key: 'GEN_FACILITY_2', dtype: 'ushort' },
    { key: 'CCITT_FACILITY', dtype: 'ushort' },
    { key: 'NON_X25_FACILITY', dtype: 'ushort' },
    { key: 'DFLT_PKT_SIZE', dtype: 'ushort' },
    { key: 'MAX_PKT_SIZE', dtype: 'ushort' },
    { key: 'LOWESTSVC', dtype: 'ushort' },
    { key: 'HIGHESTSVC', dtype: 'ushort' },
    { key: 'LOWESTPVC', dtype: 'ushort' },
    { key: 'HIGHESTPVC', dtype: 'ushort' },
    { key: 'X25_MODE', dtype: 'uchar' },
    { key: 'CALL_BACKOFF', dtype: 'uint' },
    { key: 'CALL_LOGGING', dtype: 'uchar' },
    { key: 'X25_CALL_STRING', dtype: 'str' },
    { key: 'X25_ACCEPT_DST_ADDR', dtype: 'str' },
    { key: 'X25_ACCEPT_SRC_ADDR', dtype: 'str' },
    { key: 'X25_ACCEPT_FCL_DATA', dtype: 'str' },
    { key: 'X25_ACCEPT_USR_DATA', dtype: 'str' },
    { key: 'LABEL', dtype: 'str' },
    { key: 'VIRTUAL_ADDR', dtype: 'str' },
    { key: 'REAL_ADDR', dtype: 'str' },
  ],
  // wanconfig.h 778-790
  dsp_annexg_conftab: [
    { key: 'PAD', dtype: 'uchar' },
    { key: 'T1_DSP', dtype: 'uint' },
    { key: 'T2_DSP', dtype: 'uint' },
    { key: 'T3_DSP', dtype: 'uint' },
    { key: 'DSP_AUTO_CE', dtype: 'uchar' },
    { key: 'DSP_AUTO_CALL_REQ', dtype: 'uchar' },
    { key: 'DSP_AUTO_ACK', dtype: 'uchar' },
    { key: 'DSP_MTU', dtype: 'ushort' },
  ],
  // wanconfig.h 792-873; `//` lines 826-828 and 865-866 are left out
  chan_conftab: [
    { key: 'IDLETIMEOUT', dtype: 'uint' },
    { key: 'HOLDTIMEOUT', dtype: 'uint' },
    { key: 'X25_SRC_ADDR', dtype: 'str' },
    { key: 'X25_ACCEPT_DST_ADDR', dtype: 'str' },
    { key: 'X25_ACCEPT_SRC_ADDR', dtype: 'str' },
    { key: 'X25_ACCEPT_USR_DATA', dtype: 'str' },
    { key: 'CIR', dtype: 'uint' },
    { key: 'BC', dtype: 'uint' },
    { key: 'BE', dtype: 'uint' },
    { key: 'MULTICAST', dtype: 'uchar' },
    { key: 'IPX', dtype: 'uchar' },
    { key: 'NETWORK', dtype: 'uint' },
    { key: 'PAP', dtype: 'uchar' },
    { key: 'CHAP', dtype: 'uchar' },
    { key: 'USERID', dtype: 'str' },
    { key: 'PASSWD', dtype: 'str' },
    { key: 'SYSNAME', dtype: 'str' },
    { key: 'INARP', dtype: 'uchar' },
    { key: 'INARPINTERVAL', dtype: 'uint' },
    { key: 'INARP_RX', dtype: 'uchar' },
    { key: 'IGNORE_DCD', dtype: 'uchar' },
    { key: 'IGNORE_CTS', dtype: 'uchar' },
    { key: 'IGNORE_KEEPALIVE', dtype: 'uchar' },
    { key: 'HDLC_STREAMING', dtype: 'uchar' },
    { key: 'KEEPALIVE_TX_TIMER', dtype: 'uint' },
    { key: 'KEEPALIVE_RX_TIMER', dtype: 'uint' },
    { key: 'KEEPALIVE_ERR_MARGIN', dtype: 'uint' },
    { key: 'SLARP_TIMER', dtype: 'uint' },
    { key: 'TTL', dtype: 'uchar' },
    { key: 'STATION', dtype: 'uchar' },
    { key: 'DYN_INTR_CFG', dtype: 'uchar' },
    { key: 'GATEWAY', dtype: 'uchar' },
    { key: 'TRUE_ENCODING_TYPE', dtype: 'uchar' },
    { key: 'ASYNC_MODE', dtype: 'uchar' },
    { key: 'ASY_DATA_TRANSPARENT', dtype: 'uchar' },
    { key: 'RTS_HS_FOR_RECEIVE', dtype: 'uchar' },
    { key: 'XON_XOFF_HS_FOR_RECEIVE', dtype: 'uchar' },
    { key: 'XON_XOFF_HS_FOR_TRANSMIT', dtype: 'uchar' },
    { key: 'DCD_HS_FOR_TRANSMIT', dtype: 'uchar' },
    { key: 'CTS_HS_FOR_TRANSMIT', dtype: 'uchar' },
    { key: 'TX_BITS_PER_CHAR', dtype: 'uint' },
    { key: 'RX_BITS_PER_CHAR', dtype: 'uint' },
    { key: 'STOP_BITS', dtype: 'uint' },
    { key: 'PARITY', dtype: 'uchar' },
    { key: 'BREAK_TIMER', dtype: 'uint' },
    { key: 'INTER_CHAR_TIMER', dtype: 'uint' },
    { key: 'RX_COMPLETE_LENGTH', dtype: 'uint' },
    { key: 'XON_CHAR', dtype: 'uint' },
    { key: 'XOFF_CHAR', dtype: 'uint' },
    { key: 'MPPP_PROT', dtype: 'uchar' },
    { key: 'PROTOCOL', dtype: 'uchar' },
    { key: 'ACTIVE_CH', dtype: 'uint' },
    { key: 'SW_DEV_NAME', dtype: 'str' },
    { key: 'LIP_MTU', dtype: 'uint' },
    { key: 'DLCI_TRACE_QUEUE', dtype: 'uint' },
    { key: 'MAX_TRACE_QUEUE', dtype: 'uint' },
    { key: 'TDMV_ECHO_OFF', dtype: 'uchar' },
    { key: 'TDMV_CODEC', dtype: 'uchar' },
    { key: 'TDMV_HWEC', dtype: 'uchar' },
    { key: 'OCT_ECHOOPERATIONMODE', dtype: 'oct-chan-conf' },
    { key: 'SINGLE_TX_BUF', dtype: 'uchar' },
  ],
  // wanconfig.h 875-890
  ppp_conftab: [
    { key: 'RESTARTTIMER', dtype: 'uint' },
    { key: 'AUTHRESTART', dtype: 'uint' },
    { key: 'AUTHWAIT', dtype: 'uint' },
    { key: 'DTRDROPTIMER', dtype: 'uint' },
    { key: 'CONNECTTIMEOUT', dtype: 'uint' },
    { key: 'CONFIGURERETRY', dtype: 'uint' },
    { key: 'TERMINATERETRY', dtype: 'uint' },
    { key: 'MAXCONFREJECT', dtype: 'uint' },
    { key: 'AUTHRETRY', dtype: 'uint' },
    { key: 'AUTHENTICATOR', dtype: 'uchar' },
    { key: 'IP_MODE', dtype: 'uchar' },
  ],
  // wanconfig.h 892-905
  chdlc_conftab: [
    { key: 'IGNORE_DCD', dtype: 'uchar' },
    { key: 'IGNORE_CTS', dtype: 'uchar' },
    { key: 'IGNORE_KEEPALIVE', dtype: 'uchar' },
    { key: 'HDLC_STREAMING', dtype: 'uchar' },
    { key: 'KEEPALIVE_TX_TIMER', dtype: 'uint' },
    { key: 'KEEPALIVE_RX_TIMER', dtype: 'uint' },
    { key: 'KEEPALIVE_ERR_MARGIN', dtype: 'uint' },
    { key: 'SLARP_TIMER', dtype: 'uint' },
    { key: 'FAST_ISR', dtype: 'uchar' },
    { key: 'PROTOCOL_OPTIONS', dtype: 'uint' },
  ],
  // wanconfig.h 907-930
  sdlc_conftab: [
    { key: 'STATION_CONFIG', dtype: 'uchar' },
    { key: 'BAUD_RATE', dtype: 'uint' },
    { key: 'MAX_I_FIELD_LEN', dtype: 'ushort' },
    { key: 'GEN_OP_CFG_BITS', dtype: 'ushort' },
    { key: 'PROT_CFG_BITS', dtype: 'ushort' },
    { key: 'EXCEP_REPORTING', dtype: 'ushort' },
    { key: 'MODEM_CFG_BITS', dtype: 'ushort' },
    { key: 'STATISTICS_FRMT', dtype: 'ushort' },
    { key: 'PRI_ST_SLOW_POLL', dtype: 'ushort' },
    { key: 'SEC_ST_RESP_TO', dtype: 'ushort' },
    { key: 'CNSC_NRM_B4_SNRM', dtype: 'ushort' },
    { key: 'MX_LN_IFLD_P_XID', dtype: 'ushort' },
    { key: 'O_FLG_BIT_DELAY', dtype: 'ushort' },
    { key: 'RTS_BIT_DELAY', dtype: 'ushort' },
    { key: 'CTS_TIMEOUT', dtype: 'ushort' },
    { key: 'SDLC_CONFIG', dtype: 'uchar' },
  ],
  // wanconfig.h 932-955
  xdlc_conftab: [
    { key: 'STATION', dtype: 'uchar' },
    { key: 'MAX_I_FIELD_LEN', dtype: 'uint' },
    { key: 'WINDOW', dtype: 'uint' },
    { key: 'PROT_CONFIG', dtype: 'uint' },
    { key: 'ERROR_RESP_CONFIG', dtype: 'uint' },
    { key: 'TWS_MAX_ACK_CNT', dtype: 'uint' },
    { key: 'PRI_SLOW_POLL_TIMER', dtype: 'uint' },
    { key: 'PRI_NORMAL_POLL_TIMER', dtype: 'uint' },
    { key: 'PRI_FRAME_RESPONSE_TIMER', dtype: 'uint' },
    { key: 'MAX_NO_RESPONSE_CNT', dtype: 'uint' },
    { key: 'MAX_FRAME_RETRANSMIT_CNT', dtype: 'uint' },
    { key: 'MAX_RNR_CNT', dtype: 'uint' },
    { key: 'SEC_NRM_TIMER', dtype: 'uint' },
  ],
  // wanconfig.h 957-960; unreachable: the word tty sets ANNEXG_LIP_XDLC, so it gets xdlc_conftab
  tty_conftab: [],
  // wanconfig.h 962-965
  xmtp2_conftab: [],
  // wanconfig.h 967-970; unreachable: ANNEXG_LIP_LAPD maps to lapb_annexg_conftab
  lapd_conftab: [],
  // wanconfig.h 972-980
  lip_hdlc_annexg_conftab: [
    { key: 'SEVEN_BIT_HDLC', dtype: 'char' },
    { key: 'RX_CRC_BYTES', dtype: 'char' },
    { key: 'LINEIDLE', dtype: 'char' },
  ],
};

/**
 * conf_def_tables (wanconfig.h 982-1009), keyed by the [devices] media id that name2val turns into the config id
 * configure_link looks up (wanconfig.c 1149, 1381). Ids without an entry accept common_conftab keys only:
 * WAN_BSC, WAN_HDLC, WAN_EDU_KIT, WAN_POS, WAN_DEBUG, WAN_USB_ANALOG, WAN_AFT_GSM.
 */
export const DEVICE_MEDIA_TABLES: Readonly<Record<string, string>> = {
  WAN_PPP: 'ppp_conftab',
  WAN_FR: 'fr_conftab',
  WAN_X25: 'x25_conftab',
  WAN_CHDLC: 'chdlc_conftab',
  WAN_ASYHDLC: 'chdlc_conftab',
  WAN_MULTPPP: 'chdlc_conftab',
  WAN_MULTPROT: 'chdlc_conftab',
  WAN_LIP_ATM: 'atm_if_conftab',
  WAN_LIP_KATM: 'atm_if_conftab',
  WAN_BITSTRM: 'bitstrm_conftab',
  WAN_SS7: 'ss7_conftab',
  WAN_BSCSTRM: 'bscstrm_conftab',
  WAN_ADSL: 'adsl_conftab',
  WAN_ETH: 'adsl_conftab',
  WAN_SDLC: 'sdlc_conftab',
  WAN_ATM: 'atm_conftab',
  WAN_AFT: 'xilinx_conftab',
  WAN_AFT_TE1: 'xilinx_conftab',
  WAN_AFT_ANALOG: 'xilinx_conftab',
  WAN_AFT_ISDN_BRI: 'xilinx_conftab',
  WAN_AFT_SERIAL: 'xilinx_conftab',
  WAN_AFT_56K: 'xilinx_conftab',
  WAN_AFT_TE3: 'xilinx_conftab',
  WAN_XILINX: 'xilinx_conftab',
  WAN_MFR: 'fr_conftab',
  WAN_ADCCP: 'x25_conftab',
  WAN_MLINK_PPP: 'chdlc_conftab',
};

/**
 * conf_if_def_tables (wanconfig.h 1011-1027), keyed by the device's media id: configure_chan is called with the
 * link's config id (wanconfig.c 1561, 1705). Ids without an entry accept chan_conftab keys only on an interface.
 */
export const IFACE_MEDIA_TABLES: Readonly<Record<string, string>> = {
  WAN_ASYHDLC: 'chdlc_conftab',
  WAN_LIP_ATM: 'atm_if_conftab',
  WAN_LIP_KATM: 'atm_if_conftab',
  WAN_BITSTRM: 'bitstrm_if_conftab',
  WAN_ATM: 'atm_if_conftab',
  WAN_AFT: 'xilinx_if_conftab',
  WAN_AFT_TE1: 'xilinx_if_conftab',
  WAN_AFT_ANALOG: 'xilinx_if_conftab',
  WAN_AFT_ISDN_BRI: 'xilinx_if_conftab',
  WAN_AFT_SERIAL: 'xilinx_if_conftab',
  WAN_AFT_56K: 'xilinx_if_conftab',
  WAN_AFT_TE3: 'xilinx_if_conftab',
  WAN_XILINX: 'xilinx_if_conftab',
  WAN_AFT_GSM: 'xilinx_if_conftab',
};

/**
 * conf_annexg_def_tables (wanconfig.h 1029-1047), keyed by the [interfaces] protocol word (5th field, compared
 * case-sensitively; build_chandef_list reads it only when a 6th field, the profile section, is present) through the
 * ANNEXG_* value build_chandef_list gives it (wanconfig.c 1237-1294). Not the obvious table in two cases: tty sets
 * ANNEXG_LIP_XDLC, and ANNEXG_LIP_LAPD maps to lapb_annexg_conftab. lip_xmtp2's table is empty. Every word resolves
 * to a table. When the word also sets a protocol, configure_chan searches this table after chan_conftab for the
 * interface's own section instead of IFACE_MEDIA_TABLES; in every case the profile section is searched here first,
 * then in chan_conftab (wanconfig.c 1707-1830).
 */
export const ANNEXG_TABLES: Readonly<Record<string, string>> = {
  lapb: 'lapb_annexg_conftab', // ANNEXG_LAPB, no protocol
  x25: 'x25_annexg_conftab', // ANNEXG_X25, no protocol
  dsp: 'dsp_annexg_conftab', // ANNEXG_DSP, no protocol
  fr: 'fr_conftab', // ANNEXG_FR, protocol MP_FR
  ppp: 'sppp_conftab', // ANNEXG_PPP, protocol MP_PPP
  chdlc: 'sppp_conftab', // ANNEXG_CHDLC, protocol MP_CHDLC
  lip_atm: 'atm_if_conftab', // ANNEXG_LIP_ATM, protocol MP_ATM
  lip_katm: 'atm_if_conftab', // ANNEXG_LIP_KATM, protocol MP_KATM
  lip_x25: 'x25_annexg_conftab', // ANNEXG_LIP_X25, protocol MP_X25
  lip_lapb: 'lapb_annexg_conftab', // ANNEXG_LIP_LAPB, protocol MP_LAPB
  lip_xmtp2: 'xmtp2_conftab', // ANNEXG_LIP_XMTP2, protocol MP_XMTP2
  lip_lapd: 'lapb_annexg_conftab', // ANNEXG_LIP_LAPD, protocol MP_LAPD
  lip_hdlc: 'lip_hdlc_annexg_conftab', // ANNEXG_LIP_HDLC, protocol MP_HDLC
  lip_xdlc: 'xdlc_conftab', // ANNEXG_LIP_XDLC, protocol MP_XDLC
  tty: 'xdlc_conftab', // ANNEXG_LIP_XDLC, protocol MP_TTY
};

/**
 * Protocol words that set def->annexg but no def->protocol, so configure_chan's `def->annexg && def->protocol` test
 * (wanconfig.c 1707) fails: the annexg table is not applied to the interface's own section, whose keys go to
 * IFACE_MEDIA_TABLES, and no PROTOCOL/LABEL/VIRTUAL_ADDR/REAL_ADDR is written through it. The profile section is
 * still read with it (1801-1830), so it is not wholly unused.
 */
export const ANNEXG_WITHOUT_PROTOCOL: readonly string[] = ['lapb', 'x25', 'dsp'];

/** config_id_str (wanconfig.h 1049-1086): the [devices] media ids wanconfig accepts (after upper-casing), in order. */
export const CONFIG_ID_NAMES: readonly string[] = [
  'WAN_PPP',
  'WAN_FR',
  'WAN_X25',
  'WAN_CHDLC',
  'WAN_ASYHDLC',
  'WAN_BSC',
  'WAN_HDLC',
  'WAN_MULTPPP',
  'WAN_MULTPROT',
  'WAN_LIP_ATM',
  'WAN_LIP_KATM',
  'WAN_BITSTRM',
  'WAN_EDU_KIT',
  'WAN_SS7',
  'WAN_BSCSTRM',
  'WAN_ADSL',
  'WAN_ETH',
  'WAN_SDLC',
  'WAN_ATM',
  'WAN_POS',
  'WAN_AFT',
  'WAN_AFT_TE1',
  'WAN_AFT_ANALOG',
  'WAN_AFT_ISDN_BRI',
  'WAN_AFT_SERIAL',
  'WAN_AFT_56K',
  'WAN_AFT_TE3',
  'WAN_XILINX',
  'WAN_MFR',
  'WAN_DEBUG',
  'WAN_ADCCP',
  'WAN_MLINK_PPP',
  'WAN_USB_ANALOG',
  'WAN_AFT_GSM',
];

/**
 * sym_table (wanconfig.h 1092-1367) in source order with each macro's value; the comment names the macro and the
 * header under patches/kdrivers/include that defines it. Duplicates are kept: lookup is first match.
 */
export const SYMBOLS: readonly (readonly [string, number])[] = [
  ['OFF', 0], // WANOPT_OFF, wanpipe_cfg_def.h
  ['ON', 1], // WANOPT_ON, wanpipe_cfg_def.h
  ['NO', 0], // WANOPT_NO, wanpipe_cfg_def.h
  ['YES', 1], // WANOPT_YES, wanpipe_cfg_def.h
  ['RS232', 0], // WANOPT_RS232, wanpipe_cfg_def.h
  ['V35', 1], // WANOPT_V35, wanpipe_cfg_def.h
  ['NRZ', 0], // WANOPT_NRZ, wanpipe_cfg_def.h
  ['NRZI', 1], // WANOPT_NRZI, wanpipe_cfg_def.h
  ['FM0', 2], // WANOPT_FM0, wanpipe_cfg_def.h
  ['FM1', 3], // WANOPT_FM1, wanpipe_cfg_def.h
  ['FLAG', 0], // WANOPT_IDLE_FLAG, wanpipe_cfg_def.h
  ['MARK', 1], // WANOPT_IDLE_MARK, wanpipe_cfg_def.h
  ['POINTTOPOINT', 0], // WANOPT_POINTTOPOINT, wanpipe_cfg_def.h
  ['MULTIDROP', 1], // WANOPT_MULTIDROP, wanpipe_cfg_def.h
  ['EXTERNAL', 0], // WANOPT_EXTERNAL, wanpipe_cfg_def.h
  ['INTERNAL', 1], // WANOPT_INTERNAL, wanpipe_cfg_def.h
  ['RECOVERY', 2], // WANOPT_RECOVERY, wanpipe_cfg_def.h
  ['DTE', 0], // WANOPT_DTE, wanpipe_cfg_def.h
  ['DCE', 1], // WANOPT_DCE, wanpipe_cfg_def.h
  ['CPE', 0], // WANOPT_CPE, wanpipe_cfg_fr.h
  ['NODE', 1], // WANOPT_NODE, wanpipe_cfg_fr.h
  ['SECONDARY', 0], // WANOPT_SECONDARY, wanpipe_cfg_def.h
  ['PRIMARY', 1], // WANOPT_PRIMARY, wanpipe_cfg_def.h
  ['PERMANENT', 0], // WANOPT_PERMANENT, wanpipe_cfg_def.h
  ['SWITCHED', 1], // WANOPT_SWITCHED, wanpipe_cfg_def.h
  ['ONDEMAND', 2], // WANOPT_ONDEMAND, wanpipe_cfg_def.h
  ['ANSI', 1], // WANOPT_FR_ANSI, wanpipe_cfg_fr.h
  ['Q933', 2], // WANOPT_FR_Q933, wanpipe_cfg_fr.h
  ['LMI', 3], // WANOPT_FR_LMI, wanpipe_cfg_fr.h
  ['NOLMI', 4], // WANOPT_FR_NO_LMI, wanpipe_cfg_fr.h
  ['STATIC', 0], // WANOPT_PPP_STATIC, wanpipe_cfg_sppp.h
  ['HOST', 1], // WANOPT_PPP_HOST, wanpipe_cfg_sppp.h
  ['PEER', 2], // WANOPT_PPP_PEER, wanpipe_cfg_sppp.h
  ['PRI', 0], // WANOPT_PRI, wanpipe_cfg_def.h
  ['SEC', 1], // WANOPT_SEC, wanpipe_cfg_def.h
  ['INT', 0], // WANOPT_INTR, wanpipe_cfg_def.h
  ['POLL', 1], // WANOPT_POLL, wanpipe_cfg_def.h
  ['ONE', 1], // WANOPT_ONE, wanpipe_cfg_def.h
  ['TWO', 2], // WANOPT_TWO, wanpipe_cfg_def.h
  ['ONE_AND_HALF', 3], // WANOPT_ONE_AND_HALF, wanpipe_cfg_def.h
  ['NONE', 0], // WANOPT_NONE, wanpipe_cfg_def.h
  ['EVEN', 2], // WANOPT_EVEN, wanpipe_cfg_def.h
  ['ODD', 1], // WANOPT_ODD, wanpipe_cfg_def.h
  ['SYNC', 0], // WANOPT_TTY_SYNC, wanpipe_cfg_def.h
  ['ASYNC', 1], // WANOPT_TTY_ASYNC, wanpipe_cfg_def.h
  ['EEK_REQ', 1], // WANOPT_FR_EEK_REQUEST, wanpipe_cfg_fr.h
  ['EEK_REPLY', 2], // WANOPT_FR_EEK_REPLY, wanpipe_cfg_fr.h
  ['T1', 1], // WAN_MEDIA_T1, sdla_front_end.h
  ['E1', 2], // WAN_MEDIA_E1, sdla_front_end.h
  ['J1', 7], // WAN_MEDIA_J1, sdla_front_end.h
  ['56K', 3], // WAN_MEDIA_56K, sdla_front_end.h
  ['DS3', 4], // WAN_MEDIA_DS3, sdla_front_end.h
  ['STS-1', 6], // WAN_MEDIA_STS1, sdla_front_end.h
  ['E3', 5], // WAN_MEDIA_E3, sdla_front_end.h
  ['FXO/FXS', 8], // WAN_MEDIA_FXOFXS, sdla_front_end.h
  ['GSM', 11], // WAN_MEDIA_GSM, sdla_front_end.h
  ['BRI', 9], // WAN_MEDIA_BRI, sdla_front_end.h
  ['AMI', 1], // WAN_LCODE_AMI, sdla_front_end.h
  ['B8ZS', 2], // WAN_LCODE_B8ZS, sdla_front_end.h
  ['HDB3', 3], // WAN_LCODE_HDB3, sdla_front_end.h
  ['B3ZS', 4], // WAN_LCODE_B3ZS, sdla_front_end.h
  ['D4', 2], // WAN_FR_D4, sdla_front_end.h
  ['ESF', 1], // WAN_FR_ESF, sdla_front_end.h
  ['SLC-96', 11], // WAN_FR_SLC96, sdla_front_end.h
  ['NCRC4', 5], // WAN_FR_NCRC4, sdla_front_end.h
  ['CRC4', 4], // WAN_FR_CRC4, sdla_front_end.h
  ['UNFRAMED', 6], // WAN_FR_UNFRAMED, sdla_front_end.h
  ['G.751', 7], // WAN_FR_E3_G751, sdla_front_end.h
  ['G.832', 8], // WAN_FR_E3_G832, sdla_front_end.h
  ['C-BIT', 9], // WAN_FR_DS3_Cbit, sdla_front_end.h
  ['M13', 10], // WAN_FR_DS3_M13, sdla_front_end.h
  ['0DB', 1], // WAN_T1_LBO_0_DB, sdla_te1.h
  ['7.5DB', 2], // WAN_T1_LBO_75_DB, sdla_te1.h
  ['15DB', 3], // WAN_T1_LBO_15_DB, sdla_te1.h
  ['22.5DB', 4], // WAN_T1_LBO_225_DB, sdla_te1.h
  ['0-110FT', 5], // WAN_T1_0_110, sdla_te1.h
  ['110-220FT', 6], // WAN_T1_110_220, sdla_te1.h
  ['220-330FT', 7], // WAN_T1_220_330, sdla_te1.h
  ['330-440FT', 8], // WAN_T1_330_440, sdla_te1.h
  ['440-550FT', 9], // WAN_T1_440_550, sdla_te1.h
  ['550-660FT', 10], // WAN_T1_550_660, sdla_te1.h
  ['0-133FT', 13], // WAN_T1_0_133, sdla_te1.h
  ['133-266FT', 14], // WAN_T1_133_266, sdla_te1.h
  ['266-399FT', 15], // WAN_T1_266_399, sdla_te1.h
  ['399-533FT', 16], // WAN_T1_399_533, sdla_te1.h
  ['533-655FT', 17], // WAN_T1_533_655, sdla_te1.h
  ['120OH', 11], // WAN_E1_120, sdla_te1.h
  ['75OH', 12], // WAN_E1_75, sdla_te1.h
  ['NORMAL', 1], // WAN_NORMAL_CLK, sdla_front_end.h
  ['MASTER', 2], // WAN_MASTER_CLK, sdla_front_end.h
  ['LINE', 1], // WAN_NORMAL_CLK, sdla_front_end.h
  ['OSC', 2], // WAN_MASTER_CLK, sdla_front_end.h
  ['OUT_OSC', 3], // WAN_CLK_OUT_OSC, wanpipe_cfg_def.h
  ['OUT_LINE', 4], // WAN_CLK_OUT_LINE, wanpipe_cfg_def.h
  ['IN', 1], // WANOPT_NETWORK_SYNC_IN, wanpipe_cfg_def.h
  ['OUT', 0], // WANOPT_NETWORK_SYNC_OUT, wanpipe_cfg_def.h
  ['CAS', 2], // WAN_TE1_SIG_CAS, sdla_te1.h
  ['CCS', 1], // WAN_TE1_SIG_CCS, sdla_te1.h
  ['RM_DEFAULT', 0], // WAN_RM_DEFAULT, sdla_remora.h
  ['RM_TAPPING', 1], // WAN_RM_TAPPING, sdla_remora.h
  ['ADTRAN', 1], // WAN_TE3_RDEVICE_ADTRAN, sdla_te3.h
  ['DIGITAL-LINK', 2], // WAN_TE3_RDEVICE_DIGITALLINK, sdla_te3.h
  ['KENTROX', 3], // WAN_TE3_RDEVICE_KENTROX, sdla_te3.h
  ['LARSCOM', 4], // WAN_TE3_RDEVICE_LARSCOM, sdla_te3.h
  ['VERILINK', 5], // WAN_TE3_RDEVICE_VERILINK, sdla_te3.h
  ['LB_NORMAL', 0], // WAN_TE3_LIU_LB_NORMAL, sdla_te3.h
  ['LB_ANALOG', 1], // WAN_TE3_LIU_LB_ANALOG, sdla_te3.h
  ['LB_REMOTE', 2], // WAN_TE3_LIU_LB_REMOTE, sdla_te3.h
  ['LB_DIGITAL', 3], // WAN_TE3_LIU_LB_DIGITAL, sdla_te3.h
  ['MP_PPP', 103], // WANCONFIG_PPP, wanpipe_cfg.h
  ['MP_CHDLC', 104], // WANCONFIG_CHDLC, wanpipe_cfg.h
  ['MP_FR', 102], // WANCONFIG_FR, wanpipe_cfg.h
  ['MP_LAPB', 125], // WANCONFIG_LAPB, wanpipe_cfg.h
  ['MP_XDLC', 126], // WANCONFIG_XDLC, wanpipe_cfg.h
  ['MP_TTY', 127], // WANCONFIG_TTY, wanpipe_cfg.h
  ['MP_X25', 101], // WANCONFIG_X25, wanpipe_cfg.h
  ['MP_ATM', 131], // WANCONFIG_LIP_ATM, wanpipe_cfg.h
  ['MP_KATM', 135], // WANCONFIG_LIP_KATM, wanpipe_cfg.h
  ['MP_XMTP2', 129], // WANCONFIG_XMTP2, wanpipe_cfg.h
  ['MP_LAPD', 134], // WANCONFIG_LAPD, wanpipe_cfg.h
  ['MP_HDLC', 139], // WANCONFIG_LIP_HDLC, wanpipe_cfg.h
  ['RAW', 0], // WANOPT_NO, wanpipe_cfg_def.h
  ['HDLC', 0], // WANOPT_NO, wanpipe_cfg_def.h
  ['PPP', 103], // WANCONFIG_PPP, wanpipe_cfg.h
  ['CHDLC', 104], // WANCONFIG_CHDLC, wanpipe_cfg.h
  ['ASYHDLC', 130], // WANCONFIG_ASYHDLC, wanpipe_cfg.h
  ['ANSI', 1], // WANOPT_SS7_ANSI, wanpipe_cfg_def.h; shadowed by WANOPT_FR_ANSI above
  ['ITU', 2], // WANOPT_SS7_ITU, wanpipe_cfg_def.h
  ['NTT', 3], // WANOPT_SS7_NTT, wanpipe_cfg_def.h
  ['FISU', 0], // WANOPT_SS7_FISU, wanpipe_cfg_def.h
  ['LSSU', 1], // WANOPT_SS7_LSSU, wanpipe_cfg_def.h
  ['SS7_128', 0], // WANOPT_SS7_MODE_128, wanpipe_cfg_def.h
  ['SS7_4096', 1], // WANOPT_SS7_MODE_4096, wanpipe_cfg_def.h
  ['S50X', 1], // WANOPT_S50X, wanpipe_cfg_def.h
  ['S51X', 2], // WANOPT_S51X, wanpipe_cfg_def.h
  ['ADSL', 3], // WANOPT_ADSL, wanpipe_cfg_def.h
  ['S518', 3], // WANOPT_ADSL, wanpipe_cfg_def.h
  ['AFT', 4], // WANOPT_AFT, wanpipe_cfg_def.h
  ['USB', 4], // WANOPT_AFT, wanpipe_cfg_def.h
  ['AFT_GSM', 18], // WANOPT_AFT_GSM, wanpipe_cfg_def.h
  ['ETH_LLC_OA', 0], // RFC_MODE_BRIDGED_ETH_LLC, wanpipe_cfg_def.h
  ['ETH_VC_OA', 1], // RFC_MODE_BRIDGED_ETH_VC, wanpipe_cfg_def.h
  ['IP_LLC_OA', 2], // RFC_MODE_ROUTED_IP_LLC, wanpipe_cfg_def.h
  ['IP_VC_OA', 3], // RFC_MODE_ROUTED_IP_VC, wanpipe_cfg_def.h
  ['PPP_LLC_OA', 5], // RFC_MODE_PPP_LLC, wanpipe_cfg_def.h
  ['PPP_VC_OA', 6], // RFC_MODE_PPP_VC, wanpipe_cfg_def.h
  ['STACK_VC_OA', 7], // RFC_MODE_STACK_VC, wanpipe_cfg_def.h
  ['BLLC_OA', 0], // RFC_MODE_BRIDGED_ETH_LLC, wanpipe_cfg_def.h
  ['CIP_OA', 2], // RFC_MODE_ROUTED_IP_LLC, wanpipe_cfg_def.h
  ['LAN', 1], // LAN_INTERFACE, wanpipe_cfg_adsl.h
  ['WAN', 0], // WAN_INTERFACE, wanpipe_cfg_adsl.h
  ['ADSL_T1_413', 0], // WANOPT_ADSL_T1_413, wanpipe_cfg.h
  ['ADSL_G_LITE', 1], // WANOPT_ADSL_G_LITE, wanpipe_cfg.h
  ['ADSL_G_DMT', 2], // WANOPT_ADSL_G_DMT, wanpipe_cfg.h
  ['ADSL_ALCATEL_1_4', 3], // WANOPT_ADSL_ALCATEL_1_4, wanpipe_cfg.h
  ['ADSL_ALCATEL', 6], // WANOPT_ADSL_ALCATEL, wanpipe_cfg.h
  ['ADSL_MULTIMODE', 4], // WANOPT_ADSL_MULTIMODE, wanpipe_cfg.h
  ['ADSL_T1_413_AUTO', 9], // WANOPT_ADSL_T1_413_AUTO, wanpipe_cfg.h
  ['ADSL_TRELLIS_ENABLE', 32768], // WANOPT_ADSL_TRELLIS_ENABLE, wanpipe_cfg.h
  ['ADSL_TRELLIS_DISABLE', 0], // WANOPT_ADSL_TRELLIS_DISABLE, wanpipe_cfg.h
  ['ADSL_TRELLIS_LITE_ONLY_DISABLE', 61440], // WANOPT_ADSL_TRELLIS_LITE_ONLY_DISABLE, wanpipe_cfg.h
  ['ADSL_0DB_CODING_GAIN', 0], // WANOPT_ADSL_0DB_CODING_GAIN, wanpipe_cfg.h
  ['ADSL_1DB_CODING_GAIN', 4096], // WANOPT_ADSL_1DB_CODING_GAIN, wanpipe_cfg.h
  ['ADSL_2DB_CODING_GAIN', 8192], // WANOPT_ADSL_2DB_CODING_GAIN, wanpipe_cfg.h
  ['ADSL_3DB_CODING_GAIN', 12288], // WANOPT_ADSL_3DB_CODING_GAIN, wanpipe_cfg.h
  ['ADSL_4DB_CODING_GAIN', 16384], // WANOPT_ADSL_4DB_CODING_GAIN, wanpipe_cfg.h
  ['ADSL_5DB_CODING_GAIN', 20480], // WANOPT_ADSL_5DB_CODING_GAIN, wanpipe_cfg.h
  ['ADSL_6DB_CODING_GAIN', 24576], // WANOPT_ADSL_6DB_CODING_GAIN, wanpipe_cfg.h
  ['ADSL_7DB_CODING_GAIN', 28672], // WANOPT_ADSL_7DB_CODING_GAIN, wanpipe_cfg.h
  ['ADSL_AUTO_CODING_GAIN', 65280], // WANOPT_ADSL_AUTO_CODING_GAIN, wanpipe_cfg.h
  ['ADSL_RX_BIN_DISABLE', 0], // WANOPT_ADSL_RX_BIN_DISABLE, wanpipe_cfg.h
  ['ADSL_RX_BIN_ENABLE', 1], // WANOPT_ADSL_RX_BIN_ENABLE, wanpipe_cfg.h
  ['ADSL_FRAMING_TYPE_0', 0], // WANOPT_ADSL_FRAMING_TYPE_0, wanpipe_cfg.h
  ['ADSL_FRAMING_TYPE_1', 1], // WANOPT_ADSL_FRAMING_TYPE_1, wanpipe_cfg.h
  ['ADSL_FRAMING_TYPE_2', 2], // WANOPT_ADSL_FRAMING_TYPE_2, wanpipe_cfg.h
  ['ADSL_FRAMING_TYPE_3', 3], // WANOPT_ADSL_FRAMING_TYPE_3, wanpipe_cfg.h
  ['ADSL_EXPANDED_EXCHANGE', 32768], // WANOPT_ADSL_EXPANDED_EXCHANGE, wanpipe_cfg.h
  ['ADSL_SHORT_EXCHANGE', 0], // WANOPT_ADSL_SHORT_EXCHANGE, wanpipe_cfg.h
  ['ADSL_CLOCK_CRYSTAL', 4], // WANOPT_ADSL_CLOCK_CRYSTAL, wanpipe_cfg.h
  ['ADSL_CLOCK_OSCILLATOR', 0], // WANOPT_ADSL_CLOCK_OSCILLATOR, wanpipe_cfg.h
  ['IBM4680', 0], // IBM4680, wanpipe_cfg.h
  ['IBM4680', 0], // IBM4680, wanpipe_cfg.h; shadowed by IBM4680 above
  ['NCR2126', 2], // NCR2126, wanpipe_cfg.h
  ['NCR2127', 1], // NCR2127, wanpipe_cfg.h
  ['NCR1255', 3], // NCR1255, wanpipe_cfg.h
  ['NCR7000', 4], // NCR7000, wanpipe_cfg.h
  ['ICL', 5], // ICL, wanpipe_cfg.h
  ['HPAD', 0], // WANOPT_DSP_HPAD, wanpipe_cfg_def.h
  ['TPAD', 1], // WANOPT_DSP_TPAD, wanpipe_cfg_def.h
  ['AUTO', 0], // WANOPT_AUTO, wanpipe_cfg_def.h
  ['MANUAL', 1], // WANOPT_MANUAL, wanpipe_cfg_def.h
  ['TWO_WAY_ALTERNATE', 0], // WANOPT_TWO_WAY_ALTERNATE, wanpipe_cfg.h
  ['TWO_WAY_SIMULTANEOUS', 1], // WANOPT_TWO_WAY_SIMULTANEOUS, wanpipe_cfg.h
  ['PRI_DISC_ON_NO_RESP', 0], // WANOPT_PRI_DISC_ON_NO_RESP, wanpipe_cfg.h
  ['PRI_SNRM_ON_NO_RESP', 1], // WANOPT_PRI_SNRM_ON_NO_RESP, wanpipe_cfg.h
  ['WP_NONE', 0], // WP_NONE, wanpipe_cfg.h
  ['WP_SLINEAR', 1], // WP_SLINEAR, wanpipe_cfg.h
  ['ALAW', 1], // WAN_TDMV_ALAW, sdla_front_end.h
  ['MULAW', 2], // WAN_TDMV_MULAW, sdla_front_end.h
  ['SIMULATE', 2], // WANOPT_SIM, wanpipe_cfg_def.h
  ['OCT_NORMAL', 0], // WANOPT_OCT_CHAN_OPERMODE_NORMAL, wanpipe_cfg_def.h
  ['OCT_SPEECH', 1], // WANOPT_OCT_CHAN_OPERMODE_SPEECH, wanpipe_cfg_def.h
  ['OCT_NO_ECHO', 2], // WANOPT_OCT_CHAN_OPERMODE_NO_ECHO, wanpipe_cfg_def.h
  ['DEFAULT', 0], // WANOPT_HW_PORT_MAP_DEFAULT, wanpipe_cfg_def.h
  ['LINEAR', 1], // WANOPT_HW_PORT_MAP_LINEAR, wanpipe_cfg_def.h
];

const FIRST_SYMBOL = new Map<string, number>();
for (const [name, value] of SYMBOLS) if (!FIRST_SYMBOL.has(name)) FIRST_SYMBOL.set(name, value);

/** First match of sym_table (what wanconfig's linear strcmp search returns); upper-case first, as wanconfig does. */
export function symbolValue(upper: string): number | undefined {
  return FIRST_SYMBOL.get(upper);
}

/** First entry of KEY_TABLES[table] with that key; undefined if the table or the key is absent. */
export function lookupKey(table: string, upperKey: string): KeyDef | undefined {
  if (!Object.hasOwn(KEY_TABLES, table)) return undefined;
  return KEY_TABLES[table]?.find((d) => d.key === upperKey);
}

/**
 * Device keys that wanconfig.h of 7.0.34 (`github:retronetworking/wanpipe` c0dbaa33, lines 286-328 and 460) adds
 * to 7.0.15's tables; wanconfig.c itself is the same in both. A site may run either, so these are known keys with
 * a warning that 7.0.15's wanconfig stops at them.
 */
export const KEYS_FROM_7_0_34: Readonly<Record<string, readonly KeyDef[]>> = {
  common_conftab: [
    { key: 'TE_IGNORE_DEBOUNCE', dtype: 'uchar' },
    { key: 'TE_IGNORE_POLL_MODE', dtype: 'uchar' },
    { key: 'RM_FAIL_ON_MOD_ERROR', dtype: 'uchar' },
    { key: 'RM_FAKE_POLARITY_CIDTIMER', dtype: 'uint' },
    { key: 'RM_FAKE_POLARITY_CIDTIMEOUT', dtype: 'uint' },
    { key: 'RM_RING_DEBOUNCE', dtype: 'int' },
  ],
  xilinx_conftab: [{ key: 'FE_SYNC_DISABLE', dtype: 'uchar' }],
};

package nl

import "time"

// This file mirrors the generic netlink part of
// kmod/include/uapi/linux/splitstack.h. Keep it in sync with the header:
// every constant below carries the name of its C counterpart. Only the
// values a user of this package needs are exported; the wire numbers
// (commands and attributes) stay private to the package.

// Family identity (SST_GENL_NAME, SST_GENL_VERSION).
const (
	// GenlName is the name of the generic netlink family (SST_GENL_NAME).
	GenlName = "splitstack"
	// GenlVersion is the family version this package speaks
	// (SST_GENL_VERSION).
	GenlVersion = 1
)

// Limits and defaults of the configuration.
const (
	// DefaultCtrlPort is the control UDP port a peer or the local node uses
	// when none is configured (SST_DEFAULT_CTRL_PORT).
	DefaultCtrlPort = 4795
	// DefaultKeepalive is the keepalive interval of a fresh namespace
	// (SST_DEFAULT_KEEPALIVE_MS).
	DefaultKeepalive = 1000 * time.Millisecond
	// MinKeepalive is the shortest keepalive interval the kernel accepts
	// (SST_MIN_KEEPALIVE_MS).
	MinKeepalive = 100 * time.Millisecond
	// MaxKeepalive is the longest keepalive interval the kernel accepts
	// (SST_MAX_KEEPALIVE_MS).
	MaxKeepalive = 60000 * time.Millisecond
	// AuthKeyLen is the exact length in bytes of the HMAC-SHA256 key that
	// authenticates control messages (SST_AUTH_KEY_LEN).
	AuthKeyLen = 32
	// MaxPeers is the number of peers a namespace can hold (SST_MAX_PEERS).
	MaxPeers = 1024
)

// afInet is AF_INET, the only address family the ABI supports today.
// afInet6 (AF_INET6) is reserved by the ABI and decoded for forward
// compatibility only.
const (
	afInet  = 2
	afInet6 = 10
)

// enum sst_cmd.
const (
	cmdUnspec      = iota // SST_CMD_UNSPEC
	cmdPeerAdd            // SST_CMD_PEER_ADD
	cmdPeerDel            // SST_CMD_PEER_DEL
	cmdPeerGet            // SST_CMD_PEER_GET (dump only)
	cmdHalfPipeGet        // SST_CMD_HALFPIPE_GET (dump only)
	cmdStatsGet           // SST_CMD_STATS_GET
	cmdConfigGet          // SST_CMD_CONFIG_GET
	cmdConfigSet          // SST_CMD_CONFIG_SET
)

// enum sst_attr: the flat top-level attribute space.
const (
	attrUnspec      = iota // SST_A_UNSPEC
	attrPad                // SST_A_PAD
	attrFamily             // SST_A_FAMILY: u16
	attrAddr               // SST_A_ADDR: binary, network byte order
	attrPort               // SST_A_PORT: u16
	attrHalfPipe           // SST_A_HALFPIPE: nested, hpAttr*
	attrStats              // SST_A_STATS: nested, stat*
	attrCtrlPort           // SST_A_CTRL_PORT: u16
	attrKeepaliveMS        // SST_A_KEEPALIVE_MS: u32
	attrAuthKey            // SST_A_AUTH_KEY: binary, AuthKeyLen bytes, set only
	attrAuthKeySet         // SST_A_AUTH_KEY_SET: u8, get only
	attrMode               // SST_A_MODE: u8, enum sst_mode
	attrLastHeardMS        // SST_A_LAST_HEARD_MS: u64, get only
)

// enum sst_hp_attr: attributes nested in SST_A_HALFPIPE.
const (
	hpAttrUnspec     = iota // SST_HP_A_UNSPEC
	hpAttrPad               // SST_HP_A_PAD
	hpAttrID                // SST_HP_A_ID: u64
	hpAttrFamily            // SST_HP_A_FAMILY: u16
	hpAttrClientAddr        // SST_HP_A_CLIENT_ADDR: binary
	hpAttrClientPort        // SST_HP_A_CLIENT_PORT: u16
	hpAttrVIPAddr           // SST_HP_A_VIP_ADDR: binary
	hpAttrVIPPort           // SST_HP_A_VIP_PORT: u16
	hpAttrOSAddr            // SST_HP_A_OS_ADDR: binary
	hpAttrSeqStart          // SST_HP_A_SEQ_START: u32
	hpAttrSeqEnd            // SST_HP_A_SEQ_END: u32
	hpAttrState             // SST_HP_A_STATE: u8, enum sst_hp_state
	hpAttrUnacked           // SST_HP_A_UNACKED: u32
	hpAttrAgeMS             // SST_HP_A_AGE_MS: u64
)

// enum sst_stat: u64 counters nested in SST_A_STATS.
const (
	statUnspec        = iota // SST_STAT_UNSPEC
	statPad                  // SST_STAT_PAD
	statSetups               // SST_STAT_SETUPS
	statDataDones            // SST_STAT_DATA_DONES
	statCredits              // SST_STAT_CREDITS
	statGCs                  // SST_STAT_GCS
	statPiggybacked          // SST_STAT_PIGGYBACKED
	statResets               // SST_STAT_RESETS
	statRetransmits          // SST_STAT_RETRANSMITS
	statAuthFailures         // SST_STAT_AUTH_FAILURES
	statTimeouts             // SST_STAT_TIMEOUTS
	statDrops                // SST_STAT_DROPS
	statHandoffErrors        // SST_STAT_HANDOFF_ERRORS
	statCtrlRx               // SST_STAT_CTRL_RX
	statCtrlTx               // SST_STAT_CTRL_TX
	statCtrlTxErrors         // SST_STAT_CTRL_TX_ERRORS
	statUnknownPeer          // SST_STAT_UNKNOWN_PEER
	statReplays              // SST_STAT_REPLAYS
	statDuplicates           // SST_STAT_DUPLICATES
	statKeepalives           // SST_STAT_KEEPALIVES
	statAborts               // SST_STAT_ABORTS
	statAckNows              // SST_STAT_ACK_NOWS
	statSegsRefused          // SST_STAT_SEGS_REFUSED
)

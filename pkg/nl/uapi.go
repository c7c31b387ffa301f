package nl

import "time"

// This file holds the exported values of the generic netlink part of
// kmod/include/uapi/linux/splitstack.h; the wire numbers (commands and
// attributes, private to the package) are in uapi_gen.go, generated from
// the family's YNL spec kmod/splitstack.yaml. internal/nlspec's tests
// check both, and the header, against the spec.

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

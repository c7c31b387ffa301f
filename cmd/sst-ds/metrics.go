package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// metrics are the DS's counters, served as JSON by -metrics.
type metrics struct {
	start time.Time

	mu               sync.Mutex
	connections      int64
	activeConns      int64
	requests         int64
	byNode           map[string]int64
	byMode           map[string]int64
	handoffs         int64
	handoffNanos     int64
	handoffFailures  int64
	forwards         int64
	forwardNanos     int64
	forwardFailures  int64
	failuresByReason map[string]int64
	fallbacks        int64
	pipelinedLocal   int64
	parseErrors      int64
	bytes            int64

	// Refusals and limits (see the snapshot's fields of the same names).
	refusedInternal  int64
	refusedConns     int64
	handoffLimit     int64
	refusedHandoff   int64
	idleTimeouts     int64
	writeTimeouts    int64
	backendNotPooled int64
}

func newMetrics() *metrics {
	return &metrics{
		start:            time.Now(),
		byNode:           map[string]int64{},
		byMode:           map[string]int64{},
		failuresByReason: map[string]int64{},
	}
}

func (m *metrics) add(f func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f()
}

func (m *metrics) connOpened() { m.add(func() { m.connections++; m.activeConns++ }) }
func (m *metrics) connClosed() { m.add(func() { m.activeConns-- }) }
func (m *metrics) parseError() { m.add(func() { m.parseErrors++; m.requests++ }) }
func (m *metrics) fallback()   { m.add(func() { m.fallbacks++ }) }

func (m *metrics) servedPipelined() { m.add(func() { m.pipelinedLocal++ }) }

func (m *metrics) refusedInternalHeader() { m.add(func() { m.refusedInternal++ }) }
func (m *metrics) backendConnNotPooled()  { m.add(func() { m.backendNotPooled++ }) }
func (m *metrics) refusedConn()           { m.add(func() { m.refusedConns++ }) }
func (m *metrics) handoffLimitLocal()     { m.add(func() { m.handoffLimit++ }) }
func (m *metrics) refusedHandoffLimit()   { m.add(func() { m.refusedHandoff++ }) }
func (m *metrics) idleTimeout()           { m.add(func() { m.idleTimeouts++ }) }
func (m *metrics) writeTimeout()          { m.add(func() { m.writeTimeouts++ }) }

func (m *metrics) handedOff(d time.Duration) {
	m.add(func() { m.handoffs++; m.handoffNanos += int64(d) })
}

func (m *metrics) handoffFailed(reason string) {
	m.add(func() { m.handoffFailures++; m.failuresByReason["handoff:"+reason]++ })
}

func (m *metrics) forwarded(d time.Duration) {
	m.add(func() { m.forwards++; m.forwardNanos += int64(d) })
}

func (m *metrics) forwardFailed(reason string) {
	m.add(func() { m.forwardFailures++; m.failuresByReason["forward:"+reason]++ })
}

// served counts a request that has been answered (or failed).
func (m *metrics) served(e *entry) {
	m.add(func() {
		m.requests++
		m.bytes += e.bytes
		if e.node != "" {
			m.byNode[e.node]++
		}
		if e.mode != "" {
			m.byMode[e.mode]++
		}
	})
}

// snapshot is the JSON form of the counters.
type snapshot struct {
	UptimeSeconds          float64          `json:"uptime_seconds"`
	Connections            int64            `json:"connections"`
	ActiveConnections      int64            `json:"active_connections"`
	Requests               int64            `json:"requests"`
	RequestsByNode         map[string]int64 `json:"requests_by_node"`
	RequestsByMode         map[string]int64 `json:"requests_by_mode"`
	Handoffs               int64            `json:"handoffs"`
	HandoffFailures        int64            `json:"handoff_failures"`
	HandoffLatencyMeanMS   float64          `json:"handoff_latency_mean_ms"`
	Forwards               int64            `json:"forwards"`
	ForwardFailures        int64            `json:"forward_failures"`
	ForwardLatencyMeanMS   float64          `json:"forward_latency_mean_ms"`
	FailuresByReason       map[string]int64 `json:"failures_by_reason"`
	Fallbacks              int64            `json:"fallbacks"`
	PipelinedServedLocally int64            `json:"pipelined_served_locally"`
	ParseErrors            int64            `json:"parse_errors"`
	Bytes                  int64            `json:"bytes"`
	// RefusedInternalHeader counts requests refused (400) for an
	// X-Sst-* header field, which only the DS may send.
	RefusedInternalHeader int64 `json:"refused_internal_header"`
	// RefusedConnections counts connections answered 503 and closed at
	// -max-conns.
	RefusedConnections int64 `json:"refused_connections"`
	// HandoffLimitServedLocally counts requests the DS served itself
	// because -max-handoffs handoffs were under way.
	HandoffLimitServedLocally int64 `json:"handoff_limit_served_locally"`
	// RefusedHandoffLimit counts requests answered 503 at -max-handoffs
	// (the DS could not serve them).
	RefusedHandoffLimit int64 `json:"refused_handoff_limit"`
	// IdleTimeouts counts client connections closed by -idle-timeout.
	IdleTimeouts int64 `json:"idle_timeouts"`
	// WriteTimeouts counts client connections closed by -write-timeout.
	WriteTimeouts int64 `json:"write_timeouts"`
	// BackendConnsNotPooled counts back-end connections closed after a
	// response that was not exactly framed (forward mode).
	BackendConnsNotPooled int64    `json:"backend_conns_not_pooled"`
	UnhealthyNodes        []string `json:"unhealthy_nodes"`
}

func clone(m map[string]int64) map[string]int64 {
	c := make(map[string]int64, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func meanMS(nanos, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(nanos) / float64(n) / 1e6
}

func (m *metrics) snapshot() snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return snapshot{
		UptimeSeconds:          time.Since(m.start).Seconds(),
		Connections:            m.connections,
		ActiveConnections:      m.activeConns,
		Requests:               m.requests,
		RequestsByNode:         clone(m.byNode),
		RequestsByMode:         clone(m.byMode),
		Handoffs:               m.handoffs,
		HandoffFailures:        m.handoffFailures,
		HandoffLatencyMeanMS:   meanMS(m.handoffNanos, m.handoffs),
		Forwards:               m.forwards,
		ForwardFailures:        m.forwardFailures,
		ForwardLatencyMeanMS:   meanMS(m.forwardNanos, m.forwards),
		FailuresByReason:       clone(m.failuresByReason),
		Fallbacks:              m.fallbacks,
		PipelinedServedLocally: m.pipelinedLocal,
		ParseErrors:            m.parseErrors,
		Bytes:                  m.bytes,

		RefusedInternalHeader:     m.refusedInternal,
		RefusedConnections:        m.refusedConns,
		HandoffLimitServedLocally: m.handoffLimit,
		RefusedHandoffLimit:       m.refusedHandoff,
		IdleTimeouts:              m.idleTimeouts,
		WriteTimeouts:             m.writeTimeouts,
		BackendConnsNotPooled:     m.backendNotPooled,
	}
}

// metricsHandler serves the counters as JSON.
func (s *server) metricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "GET only", http.StatusMethodNotAllowed)
			return
		}
		snap := s.stats.snapshot()
		snap.UnhealthyNodes = s.health.downNodes()
		if snap.UnhealthyNodes == nil {
			snap.UnhealthyNodes = []string{}
		}
		b, err := json.MarshalIndent(snap, "", "  ")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
		w.Write(append(b, '\n'))
	})
}

// serveMetrics serves the counters on ln until ctx is done.
func (s *server) serveMetrics(ctx context.Context, ln net.Listener) {
	srv := &http.Server{Handler: s.metricsHandler(), ReadHeaderTimeout: 10 * time.Second}
	stop := context.AfterFunc(ctx, func() { srv.Close() })
	defer stop()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.errlog.Printf("metrics: %v", err)
	}
}

package qemu

import (
	"regexp"
	"strings"
)

// splatPatterns match the first line of a kernel splat (after the printk
// prefix is removed).
var splatPatterns = []*regexp.Regexp{
	regexp.MustCompile(`^WARNING:`),                 // WARN*(), lockdep, RCU
	regexp.MustCompile(`^BUG:`),                     // BUG: KASAN, sleeping in atomic, NULL deref, ...
	regexp.MustCompile(`\bBUG: (soft|hard) lockup`), // "watchdog: BUG: soft lockup"
	regexp.MustCompile(`^kernel BUG at`),
	regexp.MustCompile(`^Oops\b`),
	regexp.MustCompile(`general protection fault`),
	regexp.MustCompile(`Kernel panic - not syncing`),
	regexp.MustCompile(`possible (circular|recursive) locking`),
	regexp.MustCompile(`inconsistent lock state`),
	regexp.MustCompile(`suspicious RCU usage`),
	regexp.MustCompile(`\bKASAN:`),
	regexp.MustCompile(`\bUBSAN:`),
	regexp.MustCompile(`refcount_t: `),
	regexp.MustCompile(`list_(add|del) corruption`),
	regexp.MustCompile(`^unreferenced object 0x`), // kmemleak
	// slub_debug (every guest boots with it): "BUG kmalloc-64 (Tainted:
	// ...): Poison overwritten", and the redzone/freelist checks.
	regexp.MustCompile(`^BUG [a-zA-Z0-9_:()-]+ \(.*\): `),
	regexp.MustCompile(`^(INFO|FIX)[: ].*(Poison|Redzone|Freepointer|Object padding)`),
	regexp.MustCompile(`\bKFENCE: `),
	regexp.MustCompile(`^INFO: task .* blocked for more than`),
	regexp.MustCompile(`rcu: INFO: .*detected stall`),
	regexp.MustCompile(`detected stalls? on CPU`),
}

// callTraceWindow is how many lines after a splat header a "Call Trace:"
// still belongs to it. A trace with no header that close is reported on its
// own (a dump_stack(), for instance).
const callTraceWindow = 60

// printkPrefix matches what dmesg and the console put before a message:
// an optional "<4>" level, a "[  12.345678]" timestamp and an optional
// "[    T1]"/"[  C0]" caller id.
var printkPrefix = regexp.MustCompile(`^(<\d+>)?(\[\s*\d+\.\d+\]\s?)?(\[\s*[TC]\d+\]\s?)?`)

// stripPrintk removes the printk prefix from a log line.
func stripPrintk(line string) string {
	line = strings.TrimRight(line, "\r\n")
	return printkPrefix.ReplaceAllString(line, "")
}

// DetectSplats returns the kernel splats (warnings, BUGs, oopses, panics,
// lockdep and sanitizer reports, kmemleak, stray call traces) found in the
// given logs (dmesg, serial console), one line per splat with the printk
// prefix removed. A splat present in several logs (same timestamp and text)
// is reported once. Lines that merely taint the kernel, such as "loading
// out-of-tree module taints kernel", are not splats.
func DetectSplats(logs ...string) []string {
	var splats []string
	seen := map[string]bool{}
	for _, log := range logs {
		lastHeader := -callTraceWindow - 1
		prev := ""
		for i, raw := range strings.Split(log, "\n") {
			raw = strings.TrimRight(raw, "\r")
			msg := strings.TrimSpace(stripPrintk(raw))
			report := ""
			for _, re := range splatPatterns {
				if re.MatchString(msg) {
					report = msg
					break
				}
			}
			if report == "" && strings.HasPrefix(msg, "Call Trace:") && i-lastHeader > callTraceWindow {
				report = "Call Trace: (stack dump after: " + prev + ")"
			}
			if report != "" {
				lastHeader = i
				key := timestampOf(raw) + report
				if !seen[key] {
					seen[key] = true
					splats = append(splats, report)
				}
			}
			if msg != "" && !strings.HasPrefix(msg, "Call Trace:") {
				prev = msg
			}
		}
	}
	return splats
}

var timestampRE = regexp.MustCompile(`\[\s*\d+\.\d+\]`)

func timestampOf(line string) string {
	return strings.ReplaceAll(timestampRE.FindString(line), " ", "")
}

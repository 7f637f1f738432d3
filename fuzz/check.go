// SPDX-License-Identifier: GPL-2.0-only

package fuzz

import (
	"regexp"
	"strings"

	"pagesim/prog"
)

// Check applies the oracles to a run and names what it found, as a
// syzkaller-style title: crashes with the same title are the same bug, so
// titles leave out what changes from run to run (PIDs, PFNs, counts).
//
// In order: the first report in the kernel log (a WARNING, a bad page
// state, a kernel BUG, a panic), then a broken invariant, then lost data,
// then a failure of the model itself. bad is false when none is there.
func Check(res *prog.Result) (title string, bad bool) {
	if res == nil {
		return "pagesim error", true
	}
	if res.Machine != nil && res.Machine.Log != nil {
		res.Machine.Log.Flush()
		for _, rec := range res.Machine.Log.Records() {
			if t := reportTitle(rec.Text); t != "" {
				return t, true
			}
		}
	}
	if o := res.Kernel.Oops; o != nil {
		// An oops that did not reach the log (it should): its headline.
		if t := reportTitle(o.Error()); t != "" {
			return t, true
		}
		return "oops: " + normalize(o.Error()), true
	}
	if len(res.Invariants) > 0 {
		return "invariant: " + zoneRe.ReplaceAllString(normalize(firstLine(res.Invariants[0])), "ZONE"), true
	}
	if res.DataIntegrityErrors > 0 {
		return "data integrity", true
	}
	if err := res.Kernel.Err; err != nil {
		if strings.Contains(err.Error(), " hang: ") {
			return "hang", true // a livelock in the modeled kernel (sim's watchdog)
		}
		return "pagesim error", true
	}
	return "", false
}

var (
	warnRe  = regexp.MustCompile(`^WARNING: CPU: \d+ PID: \d+ at \S+ ([A-Za-z0-9_.]+)`)
	bugAtRe = regexp.MustCompile(`^kernel BUG at (\S+?)!?$`)
	numRe   = regexp.MustCompile(`-?\b(0x[0-9a-fA-F]+|[0-9]+)\b`)
	// zoneRe matches zone names: one broken counter is one bug in
	// whichever zone it shows.
	zoneRe = regexp.MustCompile(`\b(DMA32|DMA|Normal|Movable)\b`)
)

// reportTitle is the title of a kernel log line that starts a report, or
// "" for any other line.
func reportTitle(line string) string {
	line = strings.TrimSpace(line)
	switch {
	case strings.HasPrefix(line, "WARNING: "):
		if m := warnRe.FindStringSubmatch(line); m != nil {
			return "WARNING in " + m[1]
		}
		return "WARNING: " + normalize(strings.TrimPrefix(line, "WARNING: "))
	case strings.HasPrefix(line, "INFO: task ") && strings.Contains(line, " blocked for more than "):
		return "INFO: task hung" // khungtaskd (kernel/hung_task.go)
	case strings.HasPrefix(line, "BUG: Bad page state"):
		return "BUG: Bad page state"
	case strings.HasPrefix(line, "kernel BUG at "):
		if m := bugAtRe.FindStringSubmatch(line); m != nil {
			return "kernel BUG at " + m[1]
		}
		return normalize(line)
	case strings.HasPrefix(line, "Kernel panic"):
		return normalize(line)
	case strings.HasPrefix(line, "BUG: "):
		if i := strings.Index(line, " in process"); i > 0 {
			line = line[:i]
		}
		return normalize(line)
	}
	return ""
}

// normalize replaces numbers by N, so that one bug has one title.
func normalize(s string) string {
	// Only whole numbers are replaced: words with digits in them
	// (zone names like DMA32, x86_64) stay.
	return numRe.ReplaceAllString(s, "N")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

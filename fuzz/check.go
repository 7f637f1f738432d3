// SPDX-License-Identifier: GPL-2.0-only

package fuzz

import (
	"regexp"
	"strings"

	"pagesim/klog"
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
	unkillable := false
	if res.Machine != nil && res.Machine.Log != nil {
		res.Machine.Log.Flush()
		recs := res.Machine.Log.Records()
		for i, rec := range recs {
			if t := reportTitle(rec.Text); t != "" {
				if t == oomPanicTitle && allUnkillable(recs[:i]) {
					unkillable = true
					continue
				}
				return t, true
			}
		}
	}
	if o := res.Kernel.Oops; o != nil && !(unkillable && reportTitle(o.Error()) == oomPanicTitle) {
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

// oomPanicTitle is out_of_memory's panic when select_bad_process finds
// no process to kill.
const oomPanicTitle = "Kernel panic - not syncing: Out of memory and no killable processes..."

// dumpTasksRowRe matches a dump_tasks row; its group is oom_score_adj.
var dumpTasksRowRe = regexp.MustCompile(`^\[ *\d+\] +\d+ +\d+ +\d+ +\d+ +\d+ +\d+ +(-?\d+) \S`)

// allUnkillable says whether the last OOM report's task table lists at
// least one process and every one at OOM_SCORE_ADJ_MIN (-1000): the
// program protected them all (oom_score_adj), and v3.16's panic is then
// what the kernel is meant to do, not a bug.
func allUnkillable(recs []klog.Record) bool {
	start := -1
	for i := len(recs) - 1; i >= 0; i-- {
		if strings.HasPrefix(recs[i].Text, "[ pid ]") {
			start = i
			break
		}
	}
	if start < 0 {
		return false
	}
	n := 0
	for _, r := range recs[start+1:] {
		m := dumpTasksRowRe.FindStringSubmatch(r.Text)
		if m == nil {
			break
		}
		if m[1] != "-1000" {
			return false
		}
		n++
	}
	return n > 0
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
